"""Measuring the intent model on a labelled set: accuracy (overall and per language),
per-intent precision / recall / F1, out-of-scope recall, and a confusion matrix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.assistant.intents import INTENTS, OTHER
from kefu.assistant.model import IntentModel
from kefu.assistant.training import Example


@dataclass
class Report:
    examples: int
    accuracy: float
    by_language: dict[str, dict[str, float]]  # lang -> {"examples", "accuracy"}
    intents: dict[str, dict[str, float]]  # intent -> support, precision, recall, f1
    other_recall: float
    confusion: dict[str, dict[str, int]]  # true intent -> predicted intent -> count
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Test messages whose text also occurs in the training data, and accuracy without them.
    seen_in_training: int = 0
    accuracy_unseen: float = 0.0
    # Expected calibration error of the confidence (10 equal-width bins): 0 is perfect.
    calibration_error: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "accuracy": self.accuracy,
            "by_language": self.by_language,
            "other_recall": self.other_recall,
            "seen_in_training": self.seen_in_training,
            "accuracy_unseen": self.accuracy_unseen,
            "calibration_error": self.calibration_error,
            "intents": self.intents,
            "confusion": self.confusion,
        }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _key(text: str) -> str:
    return text.strip().lower()


def evaluate(
    model: IntentModel, examples: Sequence[Example], *, training: Sequence[Example] = ()
) -> Report:
    """Measure ``model`` on ``examples``; ``training`` only serves to count (and leave out of
    ``accuracy_unseen``) the test messages that also occur in the training data."""
    seen = {_key(e.text) for e in training}
    pairs: list[tuple[Example, str]] = []
    errors = []
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(10)]
    for example in examples:
        predicted = model.predict(example.text)
        pairs.append((example, predicted.intent))
        bins[min(int(predicted.confidence * 10), 9)].append(
            (predicted.confidence, predicted.intent == example.intent)
        )
        if predicted.intent != example.intent:
            errors.append(
                {
                    "text": example.text,
                    "intent": example.intent,
                    "predicted": predicted.intent,
                    "confidence": predicted.confidence,
                }
            )
    correct = sum(e.intent == p for e, p in pairs)
    unseen = [e.intent == p for e, p in pairs if _key(e.text) not in seen]
    languages: dict[str, list[bool]] = {}
    for e, p in pairs:
        languages.setdefault(e.lang, []).append(e.intent == p)
    by_language = {
        lang: {"examples": len(hits), "accuracy": _ratio(sum(hits), len(hits))}
        for lang, hits in sorted(languages.items())
    }
    confusion = {t: dict.fromkeys(INTENTS, 0) for t in INTENTS}
    for e, p in pairs:
        confusion[e.intent][p] += 1
    true_counts = Counter(e.intent for e, _ in pairs)
    predicted_counts = Counter(p for _, p in pairs)
    intents = {}
    for intent in INTENTS:
        hit = confusion[intent][intent]
        precision = _ratio(hit, predicted_counts[intent])
        recall = _ratio(hit, true_counts[intent])
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        intents[intent] = {
            "support": true_counts[intent],
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    return Report(
        examples=len(pairs),
        accuracy=_ratio(correct, len(pairs)),
        by_language=by_language,
        intents=intents,
        other_recall=intents[OTHER]["recall"],
        confusion=confusion,
        errors=errors,
        seen_in_training=len(pairs) - len(unseen),
        accuracy_unseen=_ratio(sum(unseen), len(unseen)),
        calibration_error=round(
            sum(abs(sum(c for c, _ in b) - sum(ok for _, ok in b)) for b in bins if b)
            / max(len(pairs), 1),
            4,
        ),
    )


# Short column heads for the confusion matrix.
ABBREVIATIONS = {
    "withdrawal_status": "wst",
    "withdrawal_failed": "wfl",
    "deposit_missing": "dms",
    "deposit_howto": "dho",
    "fees_limits": "fee",
    "trading": "trd",
    "account_access": "acc",
    "two_factor": "2fa",
    "kyc": "kyc",
    "security": "sec",
    "card": "crd",
    "refund_dispute": "ref",
    "account_settings": "set",
    "eligibility": "elg",
    "human_agent": "hum",
    "official_check": "off",
    "other": "oth",
}


def render(report: Report) -> list[str]:
    """The report as text lines for the terminal."""
    lines = [f"examples: {report.examples}   accuracy: {report.accuracy:.2%}"]
    for lang, m in report.by_language.items():
        lines.append(f"  {lang}: {m['accuracy']:.2%} of {m['examples']:.0f}")
    lines.append(f"out-of-scope (other) recall: {report.other_recall:.2%}")
    lines.append(f"confidence calibration error (ECE): {report.calibration_error:.3f}")
    if report.seen_in_training:
        lines.append(
            f"{report.seen_in_training} messages also occur in the training data; "
            f"accuracy without them: {report.accuracy_unseen:.2%}"
        )
    lines.append("")
    lines.append(f"{'intent':<18} {'support':>7} {'precision':>9} {'recall':>7} {'f1':>6}")
    for intent, m in report.intents.items():
        lines.append(
            f"{intent:<18} {m['support']:>7.0f} {m['precision']:>9.2%} {m['recall']:>7.2%} "
            f"{m['f1']:>6.2f}"
        )
    lines.append("")
    lines.append("confusion (rows: true intent, columns: predicted)")
    lines.append(" " * 18 + "".join(f"{ABBREVIATIONS[i]:>5}" for i in INTENTS))
    for intent in INTENTS:
        row = report.confusion[intent]
        cells = "".join(f"{row[p] or '.':>5}" for p in INTENTS)
        lines.append(f"{intent:<18}{cells}")
    return lines
