"""``kefu bench helpcenter``: the help center with N articles per language.

Seeding writes articles in bulk, bypassing the services on purpose (as kefu/bench/seed.py does
for conversations): 20,000 articles through the editor's path would take minutes and measure
the writer, not the reader. Each synthetic article mixes the paragraphs of two demo articles
(kefu/helpcenter/demo_kb) in the same language, so the vocabulary, lengths and the mix of
Chinese and Latin terms are those of real help-center text.

Measured: search p50/p95/p99 in-process (``kb_search``, including loading the result rows)
over English, Chinese, mixed, misspelt and prefix queries; and the article page over HTTP
against a uvicorn process on 127.0.0.1 (DEBUG off), one request at a time and at concurrency 4.
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings
from django.db import transaction

from kefu.bench import http
from kefu.core import clock
from kefu.helpcenter import searching
from kefu.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
    Category,
    Section,
)
from kefu.helpcenter.render import plain_text, render_article
from kefu.helpcenter.transfer import split_front_matter

DEMO_KB = Path(__file__).resolve().parent.parent / "helpcenter" / "demo_kb"
PREFIX = "bench-"
BATCH = 1000
PER_SECTION = 50  # like a real help center: a section lists tens of articles, not thousands
QUERIES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("en", "withdrawal pending"),
        ("en", "deposit not credited wrong network"),
        ("en", "lost 2fa phone"),
        ("en", "identity verification rejected"),
        ("en", "trading fees maker taker"),
        ("en", "account locked password reset"),
    ],
    "zh": [
        ("zh-hans", "提现没到账"),
        ("zh-hans", "谷歌验证器丢了"),
        ("zh-hans", "实名认证被拒绝"),
        ("zh-hans", "充值未到账 标签"),
        ("zh-hans", "手续费"),
    ],
    "mixed": [
        ("zh-hans", "USDT TRC20 提现"),
        ("zh-hans", "2FA 丢失"),
        ("en", "XRP memo 充值"),
    ],
    "typo": [
        ("en", "withdrawl pendng"),
        ("en", "verifcation rejectd"),
        ("en", "desposit"),
    ],
    "prefix": [("en", "withdr"), ("en", "verif"), ("en", "acc")],
}


@dataclass
class HelpcenterReport:
    articles_per_language: int
    seed_seconds: float = 0.0
    index_build_seconds: float = 0.0
    search: dict[str, dict[str, float]] = field(default_factory=dict)
    pages: dict[str, dict[str, float]] = field(default_factory=dict)


def _templates() -> dict[str, list[tuple[str, str, list[str], list[str]]]]:
    """(title, summary, tags, paragraphs) of every demo article, per language."""
    out: dict[str, list[tuple[str, str, list[str], list[str]]]] = {}
    for path in sorted((DEMO_KB / "articles").glob("*/*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        paragraphs = [p for p in body.split("\n\n") if p.strip()]
        out.setdefault(path.stem, []).append(
            (
                str(meta["title"]),
                str(meta.get("summary", "")),
                list(meta.get("tags") or []),
                paragraphs,
            )
        )
    return out


def seed_articles(n_per_language: int, *, seed: int = 1, log: Callable[[str], None]) -> float:
    """Replace earlier benchmark articles with ``n_per_language`` live ones per language;
    return the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - synthetic text, not secrets
    templates = _templates()
    with transaction.atomic():
        Article.objects.filter(slug__startswith=PREFIX).delete()
        category, _ = Category.objects.get_or_create(
            slug="bench", defaults={"names": {"en": "Benchmark", "zh-hans": "基准测试"}}
        )
        sections = [
            Section.objects.get_or_create(
                category=category,
                slug=f"bench-{i}",
                defaults={"names": {"en": f"Bench {i}", "zh-hans": f"基准 {i}"}},
            )[0]
            for i in range(max(1, -(-n_per_language // PER_SECTION)))
        ]
    now = clock.now()
    for start in range(0, n_per_language, BATCH):
        count = min(BATCH, n_per_language - start)
        with transaction.atomic():
            articles = Article.objects.bulk_create(
                [
                    Article(
                        section=sections[(start + i) // PER_SECTION],
                        slug=f"{PREFIX}{start + i}",
                        position=(start + i) % PER_SECTION,
                    )
                    for i in range(count)
                ]
            )
            translations: list[ArticleTranslation] = []
            revisions: list[ArticleRevision] = []
            for language, pool in templates.items():
                for i, article in enumerate(articles):
                    title, summary, tags, paragraphs = pool[(start + i) % len(pool)]
                    _t2, _s2, tags2, paragraphs2 = rng.choice(pool)
                    body_parts = paragraphs[:]
                    body_parts += rng.sample(paragraphs2, k=min(3, len(paragraphs2)))
                    body = "\n\n".join(body_parts)
                    html = render_article(body)
                    translations.append(
                        ArticleTranslation(
                            article=article,
                            language=language,
                            state=ArticleState.PUBLISHED,
                            title=f"{title} ({start + i})",
                            summary=summary,
                            html=html,
                            tags=list(dict.fromkeys(tags + tags2[:2])),
                            search_text=plain_text(html),
                            published_at=now,
                        )
                    )
            translations = ArticleTranslation.objects.bulk_create(translations)
            for tr in translations:
                revisions.append(
                    ArticleRevision(
                        translation=tr,
                        number=1,
                        title=tr.title,
                        summary=tr.summary,
                        body=tr.search_text,
                        tags=tr.tags,
                        author_label="bench",
                    )
                )
            revisions = ArticleRevision.objects.bulk_create(revisions)
            for tr, rev in zip(translations, revisions, strict=True):
                tr.current_revision = rev
                tr.published_revision = rev
            ArticleTranslation.objects.bulk_update(
                translations, ["current_revision", "published_revision"]
            )
        log(f"  {start + count:,} / {n_per_language:,} articles per language")
    return time.perf_counter() - started


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {
        "n": float(len(ordered)),
        "p50": at(50),
        "p95": at(95),
        "p99": at(99),
        "mean": statistics.fmean(ordered),
    }


def measure_search(repeats: int) -> tuple[float, dict[str, dict[str, float]]]:
    """(index build seconds, per query kind percentiles in ms)."""
    searching.reset()
    started = time.perf_counter()
    searching.get_index()
    build = time.perf_counter() - started
    results: dict[str, dict[str, float]] = {}
    everything: list[float] = []
    for kind, queries in QUERIES.items():
        samples: list[float] = []
        for _ in range(repeats):
            for language, query in queries:
                began = time.perf_counter()
                searching.kb_search(query, language=language, limit=10, prefix=kind == "prefix")
                samples.append((time.perf_counter() - began) * 1000)
        results[kind] = _percentiles(samples)
        everything += samples
    results["all"] = _percentiles(everything)
    return build, results


def measure_pages(
    n_per_language: int, *, requests: int, log: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    rng = random.Random(7)  # noqa: S311 - which pages to ask for
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    server = http.start_server(log_dir=Path(settings.DATA_DIR) / "bench")
    results: dict[str, dict[str, float]] = {}
    try:
        # The server builds its search index in the background at start-up: wait for it, so
        # the measurement is of serving pages, not of the build competing for the CPU.
        log("  waiting for the server's search index...")
        httpx.get(f"{server.url}/help/en/search/", params={"q": "warm"}, timeout=600)
        paths = [
            f"/help/{lang}/articles/{PREFIX}{rng.randrange(n_per_language)}/"
            for lang in (rng.choice(["en", "zh-hans"]) for _ in range(requests + 20))
        ]
        for concurrency in (1, 4):
            log(f"  article pages at concurrency {concurrency}...")
            load = http.run_load(
                name=f"article page c{concurrency}",
                base_url=server.url,
                request=lambda client, seq: client.get(paths[seq % len(paths)]),
                concurrency=concurrency,
                max_requests=requests,
                max_seconds=60,
            )
            results[f"article c{concurrency}"] = {
                "n": float(load.ok),
                "p50": load.percentile(50) or 0.0,
                "p95": load.percentile(95) or 0.0,
                "p99": load.percentile(99) or 0.0,
                "rps": load.throughput,
                "errors": float(load.errors),
            }
        search_load = http.run_load(
            name="search page",
            base_url=server.url,
            request=lambda client, seq: client.get(
                "/help/en/search/", params={"q": QUERIES["en"][seq % len(QUERIES["en"])][1]}
            ),
            concurrency=1,
            max_requests=min(requests, 300),
            max_seconds=60,
        )
        results["search page c1"] = {
            "n": float(search_load.ok),
            "p50": search_load.percentile(50) or 0.0,
            "p95": search_load.percentile(95) or 0.0,
            "p99": search_load.percentile(99) or 0.0,
            "rps": search_load.throughput,
            "errors": float(search_load.errors),
        }
    finally:
        server.stop()
    return results


def run_helpcenter_bench(
    *,
    articles: int,
    seed: bool,
    repeats: int,
    requests: int,
    log: Callable[[str], None],
) -> HelpcenterReport:
    report = HelpcenterReport(articles_per_language=articles)
    if seed:
        log(f"Seeding {articles:,} articles per language...")
        report.seed_seconds = seed_articles(articles, log=log)
    log("Measuring search in-process...")
    report.index_build_seconds, report.search = measure_search(repeats)
    if requests:
        log("Measuring pages over HTTP...")
        report.pages = measure_pages(articles, requests=requests, log=log)
    return report


def markdown(report: HelpcenterReport) -> str:
    lines = [
        f"Articles per language: {report.articles_per_language:,}; "
        f"index build {report.index_build_seconds:.1f} s",
        "",
        "| measurement | n | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for kind, row in report.search.items():
        lines.append(
            f"| search `{kind}` (in-process) | {row['n']:.0f} | {row['p50']:.2f} | "
            f"{row['p95']:.2f} | {row['p99']:.2f} |"
        )
    for name, row in report.pages.items():
        lines.append(
            f"| {name} (HTTP, {row['rps']:.0f} req/s, {row['errors']:.0f} errors) | "
            f"{row['n']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} |"
        )
    return "\n".join(lines)
