"""The shipped intent model: its artifact format, loading, and classification.

The artifact (``kefu/assistant/model/intents.npz``, written by ``kefu assistant train``) is a zip
of numpy arrays, read with ``allow_pickle=False``:

- ``weights`` float16 (features x intents) and ``bias`` float32 (intents);
- ``vocab``: the feature strings, UTF-8, one per line, in row order;
- ``domain``: bool per feature, true for word-level features that mark a support topic;
- ``meta``: UTF-8 JSON (labels, temperature, out-of-scope rule, training data hash, ...).

A message is a binary bag of features scaled by 1/sqrt(its feature count, known or not), so a
message made mostly of words the model never saw gets small scores and a low confidence.
Confidence is the temperature-scaled softmax probability of the chosen intent.
"""

from __future__ import annotations

import io
import json
import math
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from kefu.assistant.features import features
from kefu.assistant.intents import OTHER
from kefu.assistant.language import Language, detect_language

MODEL_DIR: Final = Path(__file__).resolve().parent / "model"
MODEL_PATH: Final = MODEL_DIR / "intents.npz"


class ModelMissing(RuntimeError):
    """The artifact is missing or unreadable: run ``kefu assistant train``."""


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    language: Language

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "confidence": self.confidence, "language": self.language}


@dataclass
class IntentModel:
    labels: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray  # (features, intents)
    bias: np.ndarray  # (intents,)
    domain: np.ndarray  # (features,) bool
    temperature: float = 1.0
    # Out-of-scope rule: below this confidence, a message with no domain word is "other".
    other_below: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._other = self.labels.index(OTHER)

    def probabilities(self, text: str) -> tuple[np.ndarray, int]:
        """Softmax probabilities over ``labels`` and how many domain features ``text`` has."""
        found = features(text)
        rows = [i for i in map(self.vocab.get, found) if i is not None]
        logits = self.bias.astype(np.float64)
        if rows:
            index = np.fromiter(sorted(rows), dtype=np.int64, count=len(rows))
            scale = 1.0 / math.sqrt(len(found))
            logits = logits + self.weights[index].sum(axis=0, dtype=np.float64) * scale
            domain_hits = int(self.domain[index].sum())
        else:
            domain_hits = 0
        logits = logits / self.temperature
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum(), domain_hits

    def predict(self, text: str) -> Prediction:
        language = detect_language(text)
        if not text.strip():
            return Prediction(OTHER, 1.0, language)
        probs, domain_hits = self.probabilities(text)
        best = int(probs.argmax())
        confidence = float(probs[best])
        if best != self._other and domain_hits == 0 and confidence < self.other_below:
            best = self._other
            confidence = max(float(probs[self._other]), 1.0 - confidence)
        return Prediction(self.labels[best], round(confidence, 4), language)


# --- the artifact ---------------------------------------------------------------------------

# A fixed timestamp keeps the zip byte-identical for identical arrays.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def save_model(model: IntentModel, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {
        "weights": model.weights.astype(np.float16),
        "bias": model.bias.astype(np.float32),
        "vocab": np.frombuffer(
            "\n".join(sorted(model.vocab, key=model.vocab.__getitem__)).encode(), dtype=np.uint8
        ),
        "domain": model.domain.astype(np.bool_),
        "meta": np.frombuffer(
            json.dumps(
                {
                    **model.meta,
                    "labels": list(model.labels),
                    "temperature": model.temperature,
                    "other_below": model.other_below,
                },
                sort_keys=True,
                ensure_ascii=False,
            ).encode(),
            dtype=np.uint8,
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def read_meta(path: Path = MODEL_PATH) -> dict[str, Any]:
    """The artifact's metadata alone (cheap: no weights are decoded)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta: dict[str, Any] = json.loads(bytes(data["meta"]).decode())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelMissing(f"cannot read {path}: {exc}") from exc
    return meta


def load_model(path: Path = MODEL_PATH) -> IntentModel:
    try:
        with np.load(path, allow_pickle=False) as data:
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
            words = bytes(data["vocab"]).decode().split("\n")
            domain = data["domain"].astype(np.bool_)
            meta = json.loads(bytes(data["meta"]).decode())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelMissing(f"cannot read {path}: {exc}; run `kefu assistant train`") from exc
    return IntentModel(
        labels=tuple(meta["labels"]),
        vocab={word: i for i, word in enumerate(words)},
        weights=weights,
        bias=bias,
        domain=domain,
        temperature=float(meta["temperature"]),
        other_below=float(meta["other_below"]),
        meta=meta,
    )


_lock = threading.Lock()
_loaded: IntentModel | None = None


def get_model() -> IntentModel:
    """The shipped model, loaded once per process on first use (thread-safe)."""
    global _loaded
    model = _loaded
    if model is None:
        with _lock:
            if _loaded is None:
                _loaded = load_model()
            model = _loaded
    return model


def reset_model() -> None:
    """Forget the loaded model (after retraining, or in tests)."""
    global _loaded
    with _lock:
        _loaded = None


def classify(text: str) -> Prediction:
    """Intent, confidence and language of one customer message."""
    return get_model().predict(text)
