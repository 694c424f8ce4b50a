"""Training the intent model from the shipped data, deterministically, with numpy only.

Multinomial logistic regression over the binary feature bags of kefu/assistant/features.py
(scaled by 1/sqrt(feature count)), class-balanced, L2-regularised, fitted full-batch with Adam
for a fixed number of steps from zero weights: the same data gives the same weights.

Calibration: the data is split by a hash of each text into five folds; a model trained on four
of them sets the softmax temperature (lowest log-loss on the fifth) and the out-of-scope rule's
threshold; then the final model is trained on everything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from kefu.assistant.features import FEATURE_VERSION, features
from kefu.assistant.intents import INTENTS, OTHER
from kefu.assistant.language import LANGUAGES
from kefu.assistant.model import IntentModel

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
TRAIN_DIR: Final = DATA_DIR / "train"
TEST_DIR: Final = DATA_DIR / "test"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    lang: str


@dataclass(frozen=True)
class Settings:
    min_count: int = 2  # a feature must occur in at least this many training messages
    l2: float = 3e-6
    steps: int = 150
    learning_rate: float = 0.1
    # Out-of-scope rule (see model.IntentModel.predict).
    other_below: float = 0.5


class DataError(ValueError):
    """A data file is malformed."""


def read_examples(paths: Iterable[Path]) -> list[Example]:
    """Examples from JSON-lines files ({"text", "intent", "lang"}), validated."""
    examples = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text, intent, lang = str(row["text"]), str(row["intent"]), str(row["lang"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise DataError(f"{path}:{number}: {exc}") from exc
                if intent not in INTENTS:
                    raise DataError(f"{path}:{number}: unknown intent {intent!r}")
                if lang not in LANGUAGES:
                    raise DataError(f"{path}:{number}: unknown lang {lang!r}")
                if text.strip():
                    examples.append(Example(text, intent, lang))
    return examples


def train_files(directory: Path = TRAIN_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def held_out_files(directory: Path = TEST_DIR) -> list[Path]:
    """The labelled test set: every data/test/*.jsonl file (never trained on)."""
    return sorted(directory.glob("*.jsonl"))


def data_hash(paths: Sequence[Path]) -> str:
    """SHA-256 over the training files' names and bytes (what the artifact was trained on)."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _fold(text: str) -> int:
    return hashlib.sha256(text.encode()).digest()[0] % 5


# --- the sparse design matrix --------------------------------------------------------------


@dataclass
class Design:
    """Rows of examples as a CSR matrix: ``indptr``, ``indices``, ``values``."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    n_features: int
    _by_feature: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """X @ W."""
        out = np.zeros((self.n_rows, weights.shape[1]), dtype=weights.dtype)
        if len(self.indices) == 0:
            return out
        contributions = weights[self.indices] * self.values[:, None]
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        out[nonempty] = np.add.reduceat(contributions, starts[nonempty], axis=0)
        return out

    def tdot(self, grad: np.ndarray) -> np.ndarray:
        """X.T @ G."""
        if self._by_feature is None:
            rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
            order = np.argsort(self.indices, kind="stable")
            features = self.indices[order]
            starts = np.flatnonzero(np.r_[True, features[1:] != features[:-1]])
            self._by_feature = (rows[order], self.values[order], features[starts], starts)
        rows, values, present, starts = self._by_feature
        out = np.zeros((self.n_features, grad.shape[1]), dtype=grad.dtype)
        if len(rows):
            out[present] = np.add.reduceat(grad[rows] * values[:, None], starts, axis=0)
        return out


def build_vocab(bags: Sequence[set[str]], min_count: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for bag in bags:
        counts.update(bag)
    kept = sorted(f for f, n in counts.items() if n >= min_count)
    return {f: i for i, f in enumerate(kept)}


def design(bags: Sequence[set[str]], vocab: dict[str, int]) -> Design:
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for bag in bags:
        rows = sorted(i for i in map(vocab.get, bag) if i is not None)
        indices.extend(rows)
        values.extend([1.0 / np.sqrt(max(len(bag), 1))] * len(rows))
        indptr.append(len(indices))
    return Design(
        np.asarray(indptr, dtype=np.int64),
        np.asarray(indices, dtype=np.int64),
        np.asarray(values, dtype=np.float32),
        len(vocab),
    )


# --- fitting --------------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def fit(
    x: Design, y: np.ndarray, n_classes: int, settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced, L2-regularised softmax regression; full-batch Adam from zeros."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    class_weight = np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0)
    sample_weight = (class_weight[y] / len(y)).astype(np.float32)[:, None]
    onehot = np.zeros((len(y), n_classes), dtype=np.float32)
    onehot[np.arange(len(y)), y] = 1.0

    w = np.zeros((x.n_features, n_classes), dtype=np.float32)
    b = np.zeros(n_classes, dtype=np.float32)
    params = [w, b]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, settings.steps + 1):
        probs = _softmax(x.dot(w) + b)
        g = (probs - onehot) * sample_weight
        grads = [x.tdot(g) + settings.l2 * w, g.sum(axis=0)]
        for p, grad, m_i, v_i in zip(params, grads, m, v, strict=True):
            m_i *= beta1
            m_i += (1 - beta1) * grad
            v_i *= beta2
            v_i += (1 - beta2) * grad * grad
            m_hat = m_i / (1 - beta1**step)
            v_hat = v_i / (1 - beta2**step)
            p -= settings.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return w, b


def _domain_mask(
    vocab: dict[str, int], bags: Sequence[set[str]], labels: Sequence[str]
) -> np.ndarray:
    """Word-level features (words, stems, Chinese words and character bigrams) seen at least
    three times in support messages and at most a fifth as often in out-of-scope ones."""
    inside: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for bag, label in zip(bags, labels, strict=True):
        target = outside if label == OTHER else inside
        target.update(f for f in bag if f[:2] in ("w:", "s:") or (f[:2] == "c:" and len(f) == 4))
    mask = np.zeros(len(vocab), dtype=np.bool_)
    for feature, n in inside.items():
        index = vocab.get(feature)
        if index is not None and n >= 3 and outside[feature] * 5 <= n:
            mask[index] = True
    return mask


def _calibrate(probs_logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature with the lowest log-loss on held-out logits."""
    best, best_loss = 1.0, float("inf")
    for t in np.round(np.arange(0.3, 3.01, 0.05), 2):
        p = _softmax(probs_logits / t)
        loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())
        if loss < best_loss - 1e-9:
            best, best_loss = float(t), loss
    return best


@dataclass
class TrainResult:
    model: IntentModel
    seconds: float
    examples: int
    held_out_accuracy: float


def train(
    examples: Sequence[Example],
    *,
    settings: Settings | None = None,
    data_sha256: str = "",
    calibrate: bool = True,
) -> TrainResult:
    settings = settings or Settings()
    started = time.perf_counter()
    labels = INTENTS
    # Exact duplicates add nothing but weight; keep the first of each (text, intent).
    unique = list(dict.fromkeys((e.text.strip(), e.intent) for e in examples))
    texts = [t for t, _ in unique]
    y = np.asarray([labels.index(i) for _, i in unique], dtype=np.int64)
    bags = [features(t) for t in texts]

    temperature, held_out_accuracy = 1.0, float("nan")
    folds = np.asarray([_fold(t) for t in texts])
    train_rows = np.flatnonzero(folds != 0)
    held_rows = np.flatnonzero(folds == 0)
    if calibrate and len(held_rows) and len(set(y[train_rows])) > 1:
        sub_bags = [bags[i] for i in train_rows]
        sub_vocab = build_vocab(sub_bags, settings.min_count)
        w, b = fit(design(sub_bags, sub_vocab), y[train_rows], len(labels), settings)
        held = design([bags[i] for i in held_rows], sub_vocab)
        logits = held.dot(w) + b
        temperature = _calibrate(logits, y[held_rows])
        held_out_accuracy = float((logits.argmax(axis=1) == y[held_rows]).mean())

    vocab = build_vocab(bags, settings.min_count)
    w, b = fit(design(bags, vocab), y, len(labels), settings)
    meta: dict[str, Any] = {
        "data_sha256": data_sha256,
        "feature_version": FEATURE_VERSION,
        "examples": len(texts),
        "features": len(vocab),
        "settings": settings.__dict__,
        "held_out_accuracy": round(held_out_accuracy, 4)
        if held_out_accuracy == held_out_accuracy
        else None,
    }
    model = IntentModel(
        labels=labels,
        vocab=vocab,
        weights=w.astype(np.float16).astype(np.float32),
        bias=b,
        domain=_domain_mask(vocab, bags, [labels[i] for i in y]),
        temperature=temperature,
        other_below=settings.other_below,
        meta=meta,
    )
    return TrainResult(model, time.perf_counter() - started, len(texts), held_out_accuracy)


def cross_validate(
    examples: Sequence[Example], *, settings: Settings | None = None, folds: int = 5
) -> dict[str, float]:
    """k-fold accuracy (overall, per language) and out-of-scope recall on ``examples``: a way to
    compare settings or features without looking at the test set."""
    settings = settings or Settings()
    unique = list(dict.fromkeys((e.text.strip(), e.intent, e.lang) for e in examples))
    bags = [features(text) for text, _, _ in unique]
    y = np.asarray([INTENTS.index(intent) for _, intent, _ in unique], dtype=np.int64)
    langs = np.asarray([lang for _, _, lang in unique])
    fold = np.asarray([hashlib.sha256(t.encode()).digest()[1] % folds for t, _, _ in unique])
    predicted = np.zeros(len(y), dtype=np.int64)
    for k in range(folds):
        train_rows, test_rows = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        sub_bags = [bags[i] for i in train_rows]
        vocab = build_vocab(sub_bags, settings.min_count)
        w, b = fit(design(sub_bags, vocab), y[train_rows], len(INTENTS), settings)
        logits = design([bags[i] for i in test_rows], vocab).dot(w) + b
        predicted[test_rows] = logits.argmax(axis=1)
    hits = predicted == y
    result = {"accuracy": float(hits.mean())}
    for lang in sorted(set(langs)):
        result[f"accuracy_{lang}"] = float(hits[langs == lang].mean())
    other = y == INTENTS.index(OTHER)
    if other.any():
        result["other_recall"] = float(hits[other].mean())
    return {k: round(v, 4) for k, v in result.items()}


def train_shipped(settings: Settings | None = None) -> TrainResult:
    """Train on every kefu/assistant/data/train/*.jsonl file."""
    paths = train_files()
    return train(read_examples(paths), settings=settings, data_sha256=data_hash(paths))
