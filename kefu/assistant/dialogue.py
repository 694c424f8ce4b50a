"""One assistant turn: ``respond`` reads a customer message (or a button payload) and the
dialogue state, and returns the reply as a ``Turn``: text in the customer's language, buttons,
citations, an optional link, an optional hand-off to people, and the new state.

Decisions, in order:

1. A button payload (``intent:``, ``tx:``, ``resolved:yes|no``, ``handoff``, ``freeze``,
   ``verify:…``, ``reset_password``) is handled first.
2. An answer to what the assistant just asked (which transaction, the details of one, the value
   to check, "did this answer your question?") continues that flow.
3. An investment question is refused politely (intent ``other``).
4. Below ``CONFIDENT`` the assistant asks a clarifying question with the likeliest intents as
   buttons; still unclear after that, a person takes over.
5. Otherwise the intent's flow (``kefu.assistant.flows``) or a help-center answer.

Every reply goes through the outbound secret guard (``kefu.guard.outbound.check_outbound``); a
reply it blocks becomes a hand-off. Internal errors become a hand-off too: ``respond`` never
raises. The state is a small JSON-safe dict the caller stores and hands back next turn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from kefu.assistant import flows
from kefu.assistant import replies_text as t
from kefu.assistant.flows import Reply
from kefu.assistant.intents import INTENTS, OTHER
from kefu.assistant.language import script_counts
from kefu.assistant.model import Prediction, classify, get_model
from kefu.contacts.models import Contact
from kefu.core.actor import Actor, ActorKind
from kefu.guard.outbound import check_outbound

logger = logging.getLogger(__name__)

CONFIDENT = 0.6  # below: a clarifying question
CHOICES = 3  # intents offered in a clarifying question
MAX_CHARS = 4000  # of a customer message looked at
MAX_TRIED = 8
SUMMARY_CHARS = 600
LANGUAGES = ("en", "zh-hans")


@dataclass(frozen=True, slots=True)
class Citation:
    title: str
    url: str  # absolute path on this site, e.g. /help/en/articles/<slug>/


@dataclass(frozen=True, slots=True)
class Button:
    label: str  # in the customer's language
    payload: str  # sent back by the client as the customer's choice


@dataclass(frozen=True, slots=True)
class Handoff:
    intent: str
    language: str  # "zh-hans" | "en"
    urgent: bool  # security → True
    summary: str  # short plain-text summary for agents (English + the facts), no secrets
    reason: str  # "asked" | "low_confidence" | "unresolved" | "flow" | "security" | ...


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    language: str
    intent: str
    confidence: float
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    handoff: Handoff | None = None
    link: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    outcome: str = ""  # "" | "resolved" | "handed_off"


@dataclass(frozen=True, slots=True)
class CustomerContext:
    contact: Contact | None  # None for anonymous visitors (no fund lookups then)
    conversation_id: int | None
    language_hint: str  # the widget's language, used when detection is unsure


# --- language -------------------------------------------------------------------------------

_NOT_WORDS = re.compile(r"\S*\d\S*|\S+@\S+|https?://\S+|\S+\.\S+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _code(language: str) -> str:
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


def choose_language(text: str, state: Mapping[str, Any], hint: str) -> str:
    """The reply language: Chinese when the message is Chinese, English when it is clearly
    English (two Latin words or more, ids and links aside); else the conversation's language
    so far, else the widget's."""
    previous = state.get("lang")
    fallback = _code(previous if isinstance(previous, str) and previous else hint)
    words = _NOT_WORDS.sub(" ", text or "")
    han, kana, latin, other = script_counts(words)
    if kana <= han and (han >= 2 or (han == 1 and latin == 0 and other == 0)):
        return "zh-hans"
    if len(_LATIN_WORD.findall(words)) >= 2 and other + kana <= latin:
        return "en"
    return fallback


# --- small classifiers of the customer's words ----------------------------------------------

_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|你好|您好|嗨|哈喽|哈啰|在吗|"
    r"在不在|有人吗)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(r"thank|thx|\bty\b|cheers|谢谢|多谢|感谢|谢了", re.IGNORECASE)
_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|ok(?:ay)?|sure|solved|resolved|it did|that helped|是|是的|对|好的|"
    r"好|解决了|可以了|明白了)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\W*(?:no|nope|not really|didn'?t|did not|doesn'?t help|不是|没有|不行|没解决|不对|没用|否)",
    re.IGNORECASE,
)
_INVESTMENT = re.compile(
    r"\bshould i (?:buy|sell|invest|hold|short|long)\b|"
    r"\b(?:will|is|are|does)\b[^.?!]{0,40}\b(?:go(?:ing)? (?:up|down)|rise|fall|drop|pump|dump|"
    r"moon|crash|recover)\b|\bprice (?:prediction|forecast|target)s?\b|"
    r"\b(?:investment|financial|trading) advice\b|"
    r"\b(?:best|which|what|good) (?:coin|crypto|token|altcoin)s? (?:to|should i|for) "
    r"(?:buy|invest|hold)|\bis it (?:a )?good (?:time )?to (?:buy|sell|invest)\b|"
    r"\bworth (?:buying|investing)\b|\brecommend (?:a |some |me )?(?:coins?|tokens?|cryptos?)\b|"
    r"\bgood investment\b|"
    r"买什么币|买哪个币|买哪些币|该不该买|要不要买|值得买|值得投资|会涨|会跌|能涨|涨吗|跌吗|"
    r"会不会涨|会不会跌|投资建议|抄底|推荐.{0,4}币|哪个币.{0,4}(?:好|赚)|价格预测|走势",
    re.IGNORECASE,
)


def is_investment_question(text: str) -> bool:
    return bool(_INVESTMENT.search(text or ""))


# --- the state --------------------------------------------------------------------------------


def _tried(state: Mapping[str, Any]) -> list[str]:
    value = state.get("tried")
    return [str(v) for v in value] if isinstance(value, list) else []


def _facts(state: Mapping[str, Any]) -> dict[str, str]:
    value = state.get("facts")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _summary(
    *, reason: str, intent: str, confidence: float, language: str, facts: Mapping[str, str],
    tried: list[str],
) -> str:  # fmt: skip
    parts = [
        f"Assistant hand-off ({reason}).",
        f"Intent: {intent} (confidence {confidence:.2f}).",
        f"Language: {language}.",
    ]
    if facts:
        parts.append("Facts: " + ", ".join(f"{k}={v}" for k, v in sorted(facts.items())) + ".")
    parts.append("Tried: " + ("; ".join(tried) if tried else "nothing yet") + ".")
    summary = " ".join(parts)
    return summary if len(summary) <= SUMMARY_CHARS else summary[: SUMMARY_CHARS - 1] + "…"


def _finish(
    reply: Reply,
    *,
    intent: str,
    confidence: float,
    language: str,
    state: Mapping[str, Any],
    question: str = "",
    outcome: str = "",
    clarify: int = 0,
    found: Mapping[str, str] | None = None,
) -> Turn:
    """Turn a flow's reply into a Turn (in the active language): "did this answer your
    question?", the hand-off text and summary, the new state. ``found``: facts read in the
    customer's message."""
    facts = {**_facts(state), **(found or {}), **reply.facts}
    tried = (_tried(state) + reply.tried)[-MAX_TRIED:]
    text = reply.text
    buttons = [Button(label, payload) for label, payload in reply.buttons]
    pending = reply.pending
    handoff = None
    if reply.handoff:
        closing = t.handoff_urgent() if reply.urgent else t.handoff()
        text = f"{text}\n\n{closing}" if text else closing
        handoff = Handoff(
            intent=intent,
            language=language,
            urgent=reply.urgent,
            summary=_summary(
                reason=reply.handoff,
                intent=intent,
                confidence=confidence,
                language=language,
                facts=facts,
                tried=tried,
            ),
            reason=reply.handoff,
        )
        outcome, pending = "handed_off", ""
    elif reply.ask_resolved:
        text = f"{text}\n\n{t.resolved_question()}"
        buttons += [
            Button(t.resolved_yes_label(), "resolved:yes"),
            Button(t.resolved_no_label(), "resolved:no"),
        ]
        pending = "resolved"
    new_state: dict[str, Any] = {
        "lang": language,
        "intent": intent,
        "confidence": round(confidence, 4),
        "pending": pending,
        "clarify": clarify,
        "facts": facts,
        "tried": tried,
        "question": (question or str(state.get("question") or ""))[:500],
    }
    new_state["flow"] = intent if intent in flows.FUND_INTENTS else str(state.get("flow") or "")
    if pending == "tx":
        new_state["tx"] = reply.state.get("tx", state.get("tx", {}))
    elif state.get("tx") and pending == "resolved":
        new_state["tx"] = state.get("tx")
    return Turn(
        text=text,
        language=language,
        intent=intent,
        confidence=round(confidence, 4),
        citations=tuple(Citation(title, url) for title, url in reply.citations),
        buttons=tuple(buttons),
        handoff=handoff,
        link=reply.link,
        state=new_state,
        outcome=outcome,
    )


# --- the turn -------------------------------------------------------------------------------


def _assistant(actor: Actor) -> Actor:
    """Lookups are made as the assistant, whoever drives the turn."""
    if actor.kind == ActorKind.ASSISTANT:
        return actor
    return Actor(kind=ActorKind.ASSISTANT, label="assistant")


def _other(text: str) -> Reply:
    if _THANKS.search(text):
        return Reply(text=t.thanks())
    if _GREETING.search(text):
        return Reply(text=t.greeting())
    return Reply(text=t.out_of_scope())


def _clarify(text: str) -> Reply:
    model = get_model()
    probabilities, _domain = model.probabilities(text)
    ranked = sorted(range(len(model.labels)), key=lambda i: -float(probabilities[i]))
    choices = [model.labels[i] for i in ranked if model.labels[i] not in (OTHER, "human_agent")][
        :CHOICES
    ]
    buttons = [(t.intent_label(name), f"intent:{name}") for name in choices]
    buttons.append((t.talk_to_person(), flows.HANDOFF))
    return Reply(
        text=t.clarify(), buttons=buttons, pending="clarify", tried=["clarifying question"]
    )


def _intent_reply(
    intent: str,
    *,
    question: str,
    facts: dict[str, str],
    context: CustomerContext,
    actor: Actor,
    language: str,
) -> Reply:
    if intent == "human_agent":
        return Reply(handoff="asked")
    if intent == "security":
        return flows.security_flow()
    if intent in flows.FUND_INTENTS:
        return flows.fund_flow(
            intent=intent,
            question=question,
            facts=facts,
            contact=context.contact,
            conversation_id=context.conversation_id,
            actor=_assistant(actor),
            language=language,
            retry=False,
        )
    if intent == "account_access":
        return flows.account_access_flow(question=question, language=language)
    if intent == "two_factor":
        return flows.two_factor_flow(question=question, language=language)
    if intent == "official_check":
        return flows.official_flow(text=question, language=language, asked_before=False)
    if intent == OTHER:
        return _other(question)
    return flows.kb_reply(question=question, language=language)


def _payload_turn(
    payload: str,
    *,
    state: Mapping[str, Any],
    context: CustomerContext,
    actor: Actor,
    language: str,
) -> Turn | None:
    intent = str(state.get("intent") or OTHER)
    question = str(state.get("question") or "")
    confidence = 1.0

    def done(reply: Reply, *, intent: str = intent, outcome: str = "") -> Turn:
        return _finish(
            reply,
            intent=intent,
            confidence=confidence,
            language=language,
            state=state,
            outcome=outcome,
        )

    if payload == flows.HANDOFF:
        return done(Reply(handoff="asked"), intent=intent if intent != OTHER else "human_agent")
    if payload.startswith("intent:") and payload[7:] in INTENTS:
        chosen = payload[7:]
        reply = _intent_reply(
            chosen,
            question=question or t.intent_label(chosen),
            facts={**_facts(state), **flows.extract_facts(question)},
            context=context,
            actor=actor,
            language=language,
        )
        return done(reply, intent=chosen)
    if payload.startswith("tx:"):
        offered = state.get("tx")
        reply = flows.fund_pick(
            record_id=payload[3:],
            offered=offered if isinstance(offered, dict) else {},
            question=question,
            contact=context.contact,
            conversation_id=context.conversation_id,
            actor=_assistant(actor),
            language=language,
        )
        return done(reply, intent=str(state.get("flow") or intent))
    if payload == "resolved:yes":
        return done(Reply(text=t.resolved_thanks()), outcome="resolved")
    if payload == "resolved:no":
        return done(Reply(text=t.unresolved(), handoff="unresolved"))
    if payload == "freeze":
        return done(Reply(text=t.freeze_open(), link=flows.freeze_url()))
    if payload in ("verify:unlock", "verify:reset_2fa"):
        return done(Reply(text=t.verify_open(), link=flows.verify_url(language), ask_resolved=True))
    if payload == "reset_password":
        return done(
            Reply(text=t.reset_password_open(), link=flows.password_url(), ask_resolved=True)
        )
    return None  # unknown: read the text instead


def _text_turn(
    text: str,
    *,
    state: Mapping[str, Any],
    context: CustomerContext,
    actor: Actor,
    language: str,
) -> Turn:
    pending = str(state.get("pending") or "")
    if not text.strip():
        return _finish(
            Reply(text=t.greeting()), intent=OTHER, confidence=1.0, language=language, state=state
        )
    prediction: Prediction = classify(text)
    intent, confidence = prediction.intent, prediction.confidence
    confident = confidence >= CONFIDENT
    facts = flows.extract_facts(text)

    def done(reply: Reply, *, intent: str = intent, outcome: str = "", clarify: int = 0) -> Turn:
        return _finish(
            reply,
            intent=intent,
            confidence=confidence,
            language=language,
            state=state,
            question=text,
            outcome=outcome,
            clarify=clarify,
            found=facts,
        )

    # 2. An answer to what the assistant just asked.
    if pending == "resolved" and len(text) <= 40 and not (confident and intent != OTHER):
        if _NO.search(text):
            return done(Reply(text=t.unresolved(), handoff="unresolved"))
        if _YES.search(text) or _THANKS.search(text):
            return done(Reply(text=t.resolved_thanks()), outcome="resolved")
    if pending == "official_value" and (
        flows.extract_channel_values(text) or not confident or intent in (OTHER, "official_check")
    ):
        reply = flows.official_flow(text=text, language=language, asked_before=True)
        return done(reply, intent="official_check")
    flow = str(state.get("flow") or "")
    # Which transaction: new details narrow the search. The details asked for: any answer
    # counts (a second miss hands off), unless the customer clearly moved on.
    narrowing = bool(facts) or intent in flows.FUND_INTENTS
    if (
        flow in flows.FUND_INTENTS
        and intent not in ("security", "human_agent")
        and (
            (pending == "tx" and narrowing)
            or (pending == "fund_details" and (narrowing or intent == OTHER or not confident))
        )
    ):
        reply = flows.fund_flow(
            intent=flow,
            question=text,
            facts={**_facts(state), **facts},
            contact=context.contact,
            conversation_id=context.conversation_id,
            actor=_assistant(actor),
            language=language,
            retry=pending == "fund_details",
        )
        return done(reply, intent=flow)
    # 3. Investment questions: refused, whatever else they mention.
    if intent not in ("security", "human_agent") and is_investment_question(text):
        return done(Reply(text=t.investment_refusal()), intent=OTHER)
    # 4. Not sure what the customer means: ask once, then a person takes over.
    clarified = int(state.get("clarify") or 0) if pending == "clarify" else 0
    unclear = not confident or (
        clarified and intent == OTHER and not (_GREETING.search(text) or _THANKS.search(text))
    )
    if unclear:
        if clarified:
            return done(Reply(handoff="low_confidence"))
        return done(_clarify(text), clarify=1)
    # 5. The intent's flow.
    reply = _intent_reply(
        intent,
        question=text,
        facts={**_facts(state), **facts} if intent in flows.FUND_INTENTS else facts,
        context=context,
        actor=actor,
        language=language,
    )
    return done(reply)


def _guarded(turn: Turn, state: Mapping[str, Any]) -> Turn:
    """The safety net: a reply that asks for a secret is never sent; a person takes over."""
    labels = "\n".join(b.label for b in turn.buttons)
    for text in (turn.text, labels):
        finding = check_outbound(text)
        if finding is not None:
            logger.error("assistant reply blocked by the outbound guard (%s)", finding.kind)
            with translation.override(turn.language):
                return _finish(
                    Reply(handoff="guard_blocked", tried=["reply blocked by the secret guard"]),
                    intent=turn.intent,
                    confidence=turn.confidence,
                    language=turn.language,
                    state=state,
                )
    return turn


def respond(
    *,
    text: str,
    payload: str = "",
    state: Mapping[str, Any],
    context: CustomerContext,
    actor: Actor,
) -> Turn:
    """One assistant turn. Pure apart from audited reads (diagnosis as the assistant,
    help-center search, official-channel check). Never writes conversations; never raises
    for bad input (returns a hand-off turn on internal errors)."""
    text = text[:MAX_CHARS] if isinstance(text, str) else ""
    payload = payload.strip()[:200] if isinstance(payload, str) else ""
    state = dict(state) if isinstance(state, Mapping) else {}
    language = choose_language("" if payload else text, state, context.language_hint or "en")
    try:
        with translation.override(language):
            turn = None
            if payload:
                turn = _payload_turn(
                    payload, state=state, context=context, actor=actor, language=language
                )
            if turn is None:
                turn = _text_turn(
                    text, state=state, context=context, actor=actor, language=language
                )
        return _guarded(turn, state)
    except Exception:  # the customer gets a person instead of an error
        logger.exception("assistant turn failed")
        with translation.override(language):
            return _finish(
                Reply(handoff="error", tried=["assistant error"]),
                intent=str(state.get("intent") or OTHER),
                confidence=0.0,
                language=language,
                state=state,
            )
