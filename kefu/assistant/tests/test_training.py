"""Training: data validation, determinism, and the artifact round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kefu.assistant.model import load_model, save_model
from kefu.assistant.training import (
    DataError,
    Example,
    Settings,
    cross_validate,
    data_hash,
    read_examples,
    train,
)

TINY = [
    Example("my withdrawal is still pending", "withdrawal_status", "en"),
    Example("withdrawal pending for hours", "withdrawal_status", "en"),
    Example("where is my withdrawal, still processing", "withdrawal_status", "en"),
    Example("提现一直在处理中", "withdrawal_status", "zh"),
    Example("提现处理中很久了", "withdrawal_status", "zh"),
    Example("my card was declined at the shop", "card", "en"),
    Example("card declined online", "card", "en"),
    Example("virtual card declined again", "card", "en"),
    Example("卡被拒绝了", "card", "zh"),
    Example("我的卡支付被拒绝", "card", "zh"),
    Example("what's the weather like", "other", "en"),
    Example("tell me a joke about the weather", "other", "en"),
    Example("how is the weather tomorrow", "other", "en"),
    Example("今天天气怎么样", "other", "zh"),
    Example("明天天气好吗", "other", "zh"),
]
FAST = Settings(steps=60, learning_rate=0.1)


def test_training_is_deterministic_and_the_artifact_byte_identical(tmp_path):
    first = train(TINY, settings=FAST, data_sha256="abc")
    second = train(TINY, settings=FAST, data_sha256="abc")
    assert np.array_equal(first.model.weights, second.model.weights)
    assert first.model.temperature == second.model.temperature
    save_model(first.model, tmp_path / "a.npz")
    save_model(second.model, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_a_tiny_model_learns_its_data_and_survives_the_round_trip(tmp_path):
    model = train(TINY, settings=FAST, data_sha256="abc").model
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.meta["data_sha256"] == "abc"
    assert loaded.labels == model.labels
    for example in TINY:
        assert loaded.predict(example.text).intent == example.intent
    prediction = loaded.predict("提现 pending 处理中")
    assert prediction.intent == "withdrawal_status"
    assert 0 < prediction.confidence <= 1
    assert prediction.language == "zh"


def test_read_examples_validates_rows(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps({"text": "hi", "intent": "other", "lang": "en"}) + "\n\n", encoding="utf-8"
    )
    assert read_examples([good]) == [Example("hi", "other", "en")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hi", "intent": "nope", "lang": "en"}) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: unknown intent 'nope'"):
        read_examples([bad])
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "hi"\n')
    with pytest.raises(DataError, match=r"broken\.jsonl:1"):
        read_examples([broken])


def test_data_hash_changes_with_the_content(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("x\n")
    before = data_hash([path])
    path.write_text("y\n")
    assert data_hash([path]) != before


def test_cross_validation_reports_accuracy_per_language_and_other_recall():
    scores = cross_validate(TINY * 2, settings=FAST, folds=3)
    assert set(scores) == {"accuracy", "accuracy_en", "accuracy_zh", "other_recall"}
    assert all(0 <= v <= 1 for v in scores.values())
