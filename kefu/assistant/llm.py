"""Optional grounded answers through any OpenAI-compatible chat endpoint.

Off unless ``KEFU_ASSISTANT_LLM_BASE_URL`` and ``KEFU_ASSISTANT_LLM_MODEL`` are set. The
prompt holds the retrieved help-center passages and the question, nothing else, and tells the
model to answer only from the passages or to reply with ``REFUSAL`` alone. The caller treats
a refusal as "no supported answer" (hand-off) and any failure as "use the offline answer".

Calls ``POST <base>/v1/chat/completions`` (``<base>`` may already end in ``/v1``) with an
explicit timeout; a timeout, a connection error or a 5xx is retried once; 4xx, a malformed body
or an empty answer fail at once. The API key is sent as a bearer token and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from django.conf import settings

from kefu.assistant.answers import Passage

logger = logging.getLogger(__name__)

REFUSAL = "NO_ANSWER"
MAX_ANSWER_CHARS = 1500
MAX_TOKENS = 400

_LANGUAGE_NAMES = {"en": "English", "zh-hans": "Simplified Chinese"}


@dataclass(frozen=True, slots=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str = ""  # never logged; repr hides it
    timeout: float = 8.0

    def __repr__(self) -> str:
        return (
            f"LlmConfig(base_url={self.base_url!r}, model={self.model!r}, timeout={self.timeout})"
        )

    @property
    def endpoint(self) -> str:
        base = self.base_url.rstrip("/")
        return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


@dataclass(frozen=True, slots=True)
class LlmResult:
    kind: Literal["answer", "refused", "failed"]
    text: str = ""
    error: str = ""  # why it failed (for logs and the hand-off summary; no secrets)


def configured() -> LlmConfig | None:
    """The configured endpoint, or None when the LLM is off."""
    base = str(getattr(settings, "KEFU_ASSISTANT_LLM_BASE_URL", "") or "").strip()
    model = str(getattr(settings, "KEFU_ASSISTANT_LLM_MODEL", "") or "").strip()
    if not base or not model:
        return None
    return LlmConfig(
        base_url=base,
        model=model,
        api_key=str(getattr(settings, "KEFU_ASSISTANT_LLM_API_KEY", "") or ""),
        timeout=float(getattr(settings, "KEFU_ASSISTANT_LLM_TIMEOUT_SECONDS", 8.0) or 8.0),
    )


def build_messages(
    *, question: str, passages: Sequence[Passage], language: str
) -> list[dict[str, str]]:
    """The chat messages: the rules, then the numbered passages and the question only."""
    language_name = _LANGUAGE_NAMES.get(language, "English")
    system = (
        "You are the customer-support assistant of a cryptocurrency exchange. Answer the "
        "customer's question using ONLY the numbered help-center passages you are given. Do "
        "not add facts, numbers, links or advice that are not in the passages. If the passages "
        f"do not answer the question, reply with exactly {REFUSAL} and nothing else. Never ask "
        "for passwords, verification or 2FA codes, private keys or seed phrases. Never give "
        "investment advice or price predictions. Answer briefly (at most five sentences), in "
        f"{language_name}."
    )
    numbered = "\n\n".join(f"[{n}] {p.title}\n{p.text}" for n, p in enumerate(passages, start=1))
    user = f"Passages:\n\n{numbered}\n\nQuestion: {question[:1000]}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _content(body: Any) -> str:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError("no choices[0].message.content") from exc
    if not isinstance(content, str):
        raise ValueError("content is not a string")
    return content.strip()


class _Retryable(Exception):
    pass


def _call(client: httpx.Client, config: LlmConfig, payload: dict[str, Any]) -> str:
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    try:
        response = client.post(config.endpoint, json=payload, headers=headers)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise _Retryable(type(exc).__name__) from exc
    if response.status_code >= 500:
        raise _Retryable(f"HTTP {response.status_code}")
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ValueError("malformed JSON") from exc
    return _content(body)


def grounded_answer(
    *,
    question: str,
    passages: Sequence[Passage],
    language: str,
    config: LlmConfig,
    transport: httpx.BaseTransport | None = None,
) -> LlmResult:
    """Ask the model to answer ``question`` from ``passages`` only. Never raises."""
    if not passages:
        return LlmResult("refused")
    payload = {
        "model": config.model,
        "messages": build_messages(question=question, passages=passages, language=language),
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
    }
    error = ""
    try:
        with httpx.Client(timeout=config.timeout, transport=transport) as client:
            for attempt in (1, 2):  # one bounded retry on a timeout or a 5xx
                try:
                    text = _call(client, config, payload)
                    break
                except _Retryable as exc:
                    error = str(exc)
                    logger.warning("assistant LLM attempt %d failed: %s", attempt, error)
            else:
                return LlmResult("failed", error=error)
    except (ValueError, httpx.HTTPError) as exc:
        logger.warning("assistant LLM call failed: %s", exc)
        return LlmResult("failed", error=str(exc)[:200])
    if not text:
        return LlmResult("failed", error="empty answer")
    if REFUSAL in text.upper().replace(" ", "_"):
        return LlmResult("refused")
    return LlmResult("answer", text=text[:MAX_ANSWER_CHARS])
