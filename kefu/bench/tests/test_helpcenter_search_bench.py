"""Smoke test of the help-center search benchmark: small corpus, report shape only (no timing
thresholds: CI machines vary)."""

from __future__ import annotations

import math

from kefu.bench.helpcenter_search import QUERIES, run_search_bench, synthetic_corpus


def test_synthetic_corpus_is_bilingual_deterministic_and_article_sized():
    docs = list(synthetic_corpus(20, seed=3))
    assert len(docs) == 40
    assert [d.language for d in docs[:2]] == ["en", "zh-hans"]
    assert docs[0].article_id == docs[1].article_id
    assert len({d.doc_id for d in docs}) == 40
    assert docs == list(synthetic_corpus(20, seed=3))
    english = [d for d in docs if d.language == "en"]
    words = sum(len(d.body.split()) for d in english) / len(english)
    assert 150 <= words <= 400
    assert all(5 <= len(d.title.split()) <= 14 for d in english)
    assert all(d.tags for d in docs)


def test_bench_report_structure():
    report = run_search_bench(n_per_language=200, repeats=2, updates=20)
    assert report["documents"] == 400
    assert report["build_seconds"] > 0
    assert report["memory"]["index"]["documents"] == 400
    assert set(report["queries"]["by_kind"]) == set(QUERIES)
    for summary in (report["queries"]["all"], *report["queries"]["by_kind"].values()):
        assert summary["count"] > 0
        assert math.isfinite(summary["p95_ms"])
        assert summary["p95_ms"] > 0
        assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    assert report["upserts"]["count"] == 20
    assert report["queries_without_hits"] == []
    assert int(report["machine"]["nproc"]) >= 1
