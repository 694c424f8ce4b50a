"""REST endpoint of the assistant: classify customer messages (intent, confidence, language).

Read-only and stateless, so it needs the ``conversations:read`` scope that integrations reading
customer messages already hold (no data is stored or changed).
"""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field, StringConstraints

from kefu.accounts.api_auth import scoped
from kefu.assistant.intents import INTENTS
from kefu.assistant.model import classify
from kefu.core.api_support import ERROR_RESPONSES, InputSchema
from kefu.core.errors import ValidationFailed

router = Router(tags=["assistant"])

MAX_TEXTS = 100
MAX_CHARS = 2000
SCOPE = "conversations:read"

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHARS)]
IntentName = Literal[INTENTS]  # type: ignore[valid-type]


class ClassifyIn(InputSchema):
    """Send exactly one of ``text`` (one message) or ``texts`` (up to 100 messages)."""

    text: Text | None = Field(None, description=f"One message, 1-{MAX_CHARS} characters.")
    texts: list[Text] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TEXTS,
        description=f"1-{MAX_TEXTS} messages, 1-{MAX_CHARS} characters each.",
    )


class ClassificationOut(Schema):
    intent: IntentName
    confidence: float = Field(ge=0, le=1, description="Probability of the intent (0-1).")
    language: Literal["zh", "en", "other"]


class ClassifyOut(Schema):
    results: list[ClassificationOut] = Field(description="One result per message, in order.")


@router.post("/classify", response={200: ClassifyOut, **ERROR_RESPONSES}, auth=scoped(SCOPE))
def classify_messages(request: HttpRequest, payload: ClassifyIn) -> ClassifyOut:
    """Classify customer messages into one of the 17 support intents.

    Scope: `conversations:read`.
    """
    if (payload.text is None) == (payload.texts is None):
        message = _("Send either text or texts.")
        raise ValidationFailed(message, fields={"__all__": [message]})
    texts = [payload.text] if payload.text is not None else list(payload.texts or [])
    results = [ClassificationOut(**classify(text).as_dict()) for text in texts]
    return ClassifyOut(results=results)
