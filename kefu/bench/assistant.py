"""``kefu bench assistant``: in-process latency and memory of the assistant's intent classifier.

Loads the shipped model (timed, with the first classification, which also loads the Chinese
segmenter's dictionary), then classifies every message of the labelled test set (or the
training data if there is none) ``repeats`` times, one call per message, with the feature caches
emptied before each round, and reports p50/p95/p99/max per message and the resident memory the
model added (RSS after loading and classifying minus RSS before loading; /proc/self/status).
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

from kefu.assistant import features
from kefu.assistant.model import MODEL_PATH, load_model
from kefu.assistant.training import held_out_files, read_examples, train_files


@dataclass
class AssistantBench:
    messages: int
    calls: int
    load_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rss_before_mb: float
    rss_after_mb: float
    artifact_kib: float

    @property
    def rss_delta_mb(self) -> float:
        return self.rss_after_mb - self.rss_before_mb


def rss_mb() -> float:
    """Resident set size of this process in MiB (0 where /proc is unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_assistant_bench(*, repeats: int = 3, data: Path | None = None) -> AssistantBench:
    paths = [data] if data else (held_out_files() or train_files())
    texts = [e.text for e in read_examples(paths)]
    if not texts:
        raise ValueError("no messages to classify")
    before = rss_mb()
    started = time.perf_counter()
    model = load_model(MODEL_PATH)
    model.predict("提现 withdrawal")
    load_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(repeats):
        for cache in (features._word_features, features._han_features, features._stem):
            cache.cache_clear()
        for text in texts:
            t0 = time.perf_counter()
            model.predict(text)
            timings.append((time.perf_counter() - t0) * 1000)
    after = rss_mb()
    timings.sort()
    return AssistantBench(
        messages=len(texts),
        calls=len(timings),
        load_ms=load_ms,
        p50_ms=_percentile(timings, 0.50),
        p95_ms=_percentile(timings, 0.95),
        p99_ms=_percentile(timings, 0.99),
        max_ms=timings[-1],
        rss_before_mb=before,
        rss_after_mb=after,
        artifact_kib=MODEL_PATH.stat().st_size / 1024,
    )


def markdown(result: AssistantBench) -> str:
    return "\n".join(
        [
            "### Assistant intent classifier (in-process, one message per call)",
            "",
            f"Python {platform.python_version()} on {platform.machine()}; "
            f"{result.messages} messages x {result.calls // result.messages} rounds.",
            "",
            "| load + first call | p50 | p95 | p99 | max | RSS added | artifact |",
            "|---|---|---|---|---|---|---|",
            f"| {result.load_ms:.0f} ms | {result.p50_ms:.2f} ms | {result.p95_ms:.2f} ms "
            f"| {result.p99_ms:.2f} ms | {result.max_ms:.1f} ms | {result.rss_delta_mb:.1f} MiB "
            f"| {result.artifact_kib:.0f} KiB |",
        ]
    )
