"""Permission matrix over every HTML and JSON endpoint, for every persona.

``ROUTES`` classifies every named URL of the project by who may use it. For each route, every
persona requests it:

- a persona the route admits must get the page (2xx, or a redirect that is not a sign-in);
  routes that only accept POST answer 405 to GET, which is fine;
- every other persona must be refused — sent to sign in, refused with 403/404, or sent away to
  their own area — for GET **and** for POST, and a refused POST must change nothing: no audit
  entry is written (every state change is audited, so this is a cheap proof);
- nobody ever gets a 5xx, and a refused response never shows customer 1's conversation.

``test_every_named_route_is_classified`` fails when a new URL has no row here, so a new endpoint
cannot ship without a decision about who may use it. The REST API is in
``test_api_matrix.py`` and the WebSockets in ``test_websocket_matrix.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kefu.audit.models import AuditEntry

from .world import CUSTOMERS, PERSONAS, STAFF, World, build_world

BACKEND = "django.contrib.auth.backends.ModelBackend"
SECRET_TEXT = "MATRIX-PRIVATE-SUBJECT 提现未到账"


class Level(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGN_IN = "sign_in"  # steps of signing in: anyone; without a pending sign-in, to the login page
    PORTAL = "portal"  # signed-in customers
    SIGNED_IN = "signed_in"  # anyone signed in, customer or staff (the community forum)
    PORTAL_OWN = "portal_own"  # customer 1, about their own conversation
    WORKSPACE = "workspace"  # every active staff member
    CONVERSATION_A = "conversation_a"  # staff who may open customer 1's team-A conversation
    KB_WRITER = "kb_writer"  # staff with a knowledge-base role, supervisors, admins
    MANAGER = "manager"  # supervisors and admins
    ADMIN = "admin"  # admins only
    DJANGO_ADMIN = "django_admin"  # Django's admin site: is_staff users only
    SUPERUSER = "superuser"  # Django admin's model pages: superusers (none of the personas)


ADMITTED: dict[Level, frozenset[str]] = {
    Level.PUBLIC: frozenset(PERSONAS),
    Level.SIGN_IN: frozenset(PERSONAS),
    Level.PORTAL: frozenset(CUSTOMERS),
    Level.SIGNED_IN: frozenset(set(PERSONAS) - {"anonymous"}),
    Level.PORTAL_OWN: frozenset({"customer_1"}),
    Level.WORKSPACE: frozenset(STAFF),
    # agent_b is on team B; every other staff persona is on team A or sees everything.
    Level.CONVERSATION_A: frozenset(set(STAFF) - {"agent_b"}),
    Level.KB_WRITER: frozenset({"kb_editor", "supervisor", "admin"}),
    Level.MANAGER: frozenset({"supervisor", "admin"}),
    Level.ADMIN: frozenset({"admin"}),
    Level.DJANGO_ADMIN: frozenset({"admin"}),
    Level.SUPERUSER: frozenset(),
}

Kwargs = Callable[[World], dict[str, Any]]


def _sla_policy_pk() -> int:
    from kefu.sla.models import SlaPolicy

    return SlaPolicy.objects.get_or_create(name="matrix-policy")[0].pk


def _none(w: World) -> dict[str, Any]:
    return {}


def _conv(w: World) -> dict[str, Any]:
    return {"pk": w.conversation.pk}


def _lang(w: World) -> dict[str, Any]:
    return {"lang": "en"}


def _article(w: World) -> dict[str, Any]:
    return {"slug": w.article_slug}


def _article_lang(w: World) -> dict[str, Any]:
    return {"slug": w.article_slug, "lang": "en"}


def _channel(w: World) -> dict[str, Any]:
    return {"pk": w.official_channel_pk}


def _webhook(w: World) -> dict[str, Any]:
    return {"pk": w.webhook_pk}


def _callback(w: World) -> dict[str, Any]:
    from kefu.callbacks.tests.factories import open_callback

    return {"pk": open_callback(w.users["customer_1"]).pk}


def _phone_call(w: World) -> dict[str, Any]:
    from kefu.core import clock
    from kefu.inbox.models import PhoneCall

    now = clock.now()
    call = PhoneCall.objects.create(
        provider="cti",
        call_id=f"matrix-{PhoneCall.objects.count()}",
        direction="inbound",
        customer_number="+14155552671",
        contact=w.conversation.contact,
        conversation=w.conversation,
        status="completed",
        created_at=now,
        updated_at=now,
    )
    return {"pk": w.conversation.pk, "call_pk": call.pk}


def _case(w: World) -> dict[str, Any]:
    from kefu.cases.tests.factories import verification_case

    return {"pk": verification_case().pk}


def _inbound_event(w: World) -> dict[str, Any]:
    from kefu.core import clock
    from kefu.inbox.models import InboundEvent, InboundState

    event = InboundEvent.objects.create(
        channel="telegram",
        event_id="matrix",
        payload=b"{}",
        state=InboundState.FAILED,
        received_at=clock.now(),
    )
    return {"pk": event.pk}


def _mailbox(w: World) -> dict[str, Any]:
    from kefu.inbox.models import EmailMailbox

    mailbox = EmailMailbox.objects.filter(address="matrix@kefu.test").first()
    if mailbox is None:
        mailbox = EmailMailbox(address="matrix@kefu.test", host="imap.kefu.test", username="m")
        mailbox.password = "matrix-password"
        mailbox.save()
    return {"pk": mailbox.pk}


def _handoff_route(w: World) -> dict[str, Any]:
    from kefu.assistant.models import HandoffRoute

    route, _ = HandoffRoute.objects.get_or_create(
        intent="kyc", language="*", defaults={"team_id": w.team_pk}
    )
    return {"pk": route.pk}


def _escalation_request(w: World) -> dict[str, Any]:
    from kefu.core import clock
    from kefu.routing.models import EscalationRequest

    row, _ = EscalationRequest.objects.get_or_create(
        conversation_id=w.conversation.pk,
        state="pending",
        defaults={"reason": "matrix", "source": "portal", "created_at": clock.now()},
    )
    return {"pk": row.pk}


def _routing_rule(w: World) -> dict[str, Any]:
    from kefu.routing.models import RoutingRule

    rule, _ = RoutingRule.objects.get_or_create(name="matrix", defaults={"team_id": w.team_pk})
    return {"pk": rule.pk}


def _survey(w: World) -> Any:
    from datetime import timedelta

    from kefu.core import clock
    from kefu.csat.models import Survey

    now = clock.now()
    return Survey.objects.create(
        conversation=w.conversation,
        channel="email",
        created_at=now,
        open_until=now + timedelta(days=7),
    )


def _survey_link(w: World) -> dict[str, Any]:
    from kefu.csat.links import rating_token

    return {"token": rating_token(survey_id=_survey(w).pk, rating=4)}


def _escalation_link(w: World) -> dict[str, Any]:
    from kefu.routing.email_escalation import escalation_token

    c = w.conversation
    return {"token": escalation_token(conversation_id=c.pk, contact_id=c.contact_id)}


def _rule(w: World) -> dict[str, Any]:
    from kefu.automation.models import AutomationRule

    rule, _ = AutomationRule.objects.get_or_create(
        name="Matrix rule", defaults={"trigger": "created", "notify": "x"}
    )
    return {"pk": rule.pk}


def _trend_alert(w: World) -> dict[str, Any]:
    from kefu.core import clock
    from kefu.trends.models import TrendAlert

    now = clock.now()
    alert, _created = TrendAlert.objects.get_or_create(
        key="t:TRC20|i:withdrawal_status|l:zh",
        window_start=now.replace(minute=0, second=0, microsecond=0),
        defaults={"count": 12, "baseline": 2.0, "score": 6.0, "created_at": now, "updated_at": now},
    )
    return {"pk": alert.pk}


def _followup(w: World) -> dict[str, Any]:
    from kefu.core import clock
    from kefu.csat.models import FollowUp

    survey = _survey(w)
    task = FollowUp.objects.create(
        survey=survey, conversation=w.conversation, created_at=clock.now()
    )
    return {"pk": task.pk}


def _forum(w: World) -> dict[str, Any]:
    """A visible community thread by the admin with an image and a reply (created once)."""
    from kefu.accounts.services import actor_for_user
    from kefu.community.models import Board, PostImage, Thread
    from kefu.community.services import post_reply, thread_create
    from kefu.conversations.attachments import UploadedFile

    from .world import png_bytes

    thread = Thread.objects.filter(title="Matrix forum thread").first()
    if thread is None:
        board, _ = Board.objects.get_or_create(slug="matrix", language="en", defaults={"name": "M"})
        admin = actor_for_user(w.users["admin"])
        thread = thread_create(
            board=board,
            title="Matrix forum thread",
            body="How do withdrawals work?",
            images=[UploadedFile(filename="shot.png", content=png_bytes())],
            actor=admin,
        )
        post_reply(thread=thread, body="Like this.", actor=admin)
    image = PostImage.objects.filter(post__thread=thread).get()
    reply = thread.posts.filter(is_question=False).get()
    return {
        "thread": thread.pk,
        "post": reply.pk,
        "image": image.pk,
        "image_name": image.filename,
        "author": thread.author_id,
    }


def _board(w: World) -> str:
    _forum(w)
    return "matrix"


def _forum_report(w: World) -> int:
    from kefu.accounts.services import actor_for_user
    from kefu.community.models import Post
    from kefu.community.services import post_report

    post = Post.objects.get(pk=_forum(w)["post"])
    return post_report(post=post, reason="matrix", actor=actor_for_user(w.users["customer_1"])).pk


def _forum_thread(w: World) -> dict[str, Any]:
    return {"lang": "en", "pk": _forum(w)["thread"]}


def _forum_post(w: World) -> dict[str, Any]:
    return {"lang": "en", "pk": _forum(w)["post"]}


@dataclass(frozen=True)
class Route:
    level: Level
    kwargs: Kwargs = _none
    query: str = ""


ROUTES: dict[str, Route] = {
    # --- public ---------------------------------------------------------------------------
    "healthz": Route(Level.PUBLIC),
    "readyz": Route(Level.PUBLIC),
    # Network-restricted, not by persona: loopback (the test client's address) or a bearer
    # token; other addresses are refused (kefu/core/tests/test_observability_metrics.py).
    "metrics": Route(Level.PUBLIC),
    "set_language": Route(Level.PUBLIC),
    "javascript-catalog": Route(Level.PUBLIC),
    "sitemap": Route(Level.PUBLIC),
    "helpcenter:index": Route(Level.PUBLIC),
    "helpcenter:home": Route(Level.PUBLIC, _lang),
    "helpcenter:search": Route(Level.PUBLIC, _lang, "?q=withdrawal"),
    "helpcenter:category": Route(Level.PUBLIC, lambda w: {"lang": "en", "slug": "matrix"}),
    "helpcenter:article": Route(Level.PUBLIC, lambda w: {"lang": "en", "slug": w.article_slug}),
    "helpcenter:feedback": Route(Level.PUBLIC, lambda w: {"lang": "en", "slug": w.article_slug}),
    "helpcenter:contact": Route(Level.PUBLIC, _lang),
    "helpcenter:media": Route(Level.PUBLIC, lambda w: {"pk": w.image_pk, "filename": w.image_name}),
    "helpcenter:api_search": Route(Level.PUBLIC, query="?q=withdrawal&lang=en"),
    "helpcenter:api_submitted": Route(Level.PUBLIC),
    "status:page": Route(Level.PUBLIC, _lang),
    # --- community forum (kefu/community): reading is public, taking part needs a sign-in --
    "community:index": Route(Level.PUBLIC, _lang),
    "community:board": Route(Level.PUBLIC, lambda w: {"lang": "en", "slug": "matrix"}),
    "community:thread": Route(Level.PUBLIC, _forum_thread),
    "community:profile": Route(Level.PUBLIC, lambda w: {"lang": "en", "pk": _forum(w)["author"]}),
    "community:media": Route(
        Level.PUBLIC, lambda w: {"pk": _forum(w)["image"], "filename": _forum(w)["image_name"]}
    ),
    "community:ask": Route(Level.SIGNED_IN, lambda w: {"lang": "en", "slug": _board(w)}),
    "community:reply": Route(Level.SIGNED_IN, _forum_thread),
    "community:accept": Route(Level.SIGNED_IN, _forum_thread),
    "community:follow": Route(Level.SIGNED_IN, _forum_thread),
    "community:private_help": Route(Level.SIGNED_IN, _forum_thread),
    "community:vote": Route(Level.SIGNED_IN, _forum_post),
    "community:report": Route(Level.SIGNED_IN, _forum_post),
    "community:notifications": Route(Level.SIGNED_IN, _lang),
    "community:profile_edit": Route(Level.PORTAL, _lang),
    "community_staff:queue": Route(Level.WORKSPACE),
    "community_staff:moderate_post": Route(Level.WORKSPACE, lambda w: {"pk": _forum(w)["post"]}),
    "community_staff:moderate_thread": Route(
        Level.WORKSPACE, lambda w: {"pk": _forum(w)["thread"]}
    ),
    "community_staff:offer_private": Route(Level.WORKSPACE, lambda w: {"pk": _forum(w)["thread"]}),
    "community_staff:report_dismiss": Route(Level.WORKSPACE, lambda w: {"pk": _forum_report(w)}),
    "community_staff:promote": Route(Level.KB_WRITER, lambda w: {"pk": _forum(w)["thread"]}),
    "community_staff:sanction": Route(Level.MANAGER, lambda w: {"pk": w.users["customer_2"].pk}),
    "community_staff:board_save": Route(Level.MANAGER),
    "status:incident": Route(Level.PUBLIC, lambda w: {"lang": "en", "pk": w.incident_pk}),
    "status:feed": Route(Level.PUBLIC, _lang),
    "status:subscribe": Route(Level.PUBLIC, _lang),
    # Token links: a made-up token is refused the same way for everybody.
    "status:confirm": Route(Level.PUBLIC, lambda w: {"token": "not-a-token"}),
    "status:unsubscribe": Route(Level.PUBLIC, lambda w: {"token": "not-a-token"}),
    "admin_login_redirect": Route(Level.SIGN_IN),
    "trust:check": Route(Level.PUBLIC),
    "trust:report": Route(Level.PUBLIC),
    "trust:phrase_check": Route(Level.PUBLIC),
    "trust:api_check": Route(Level.PUBLIC, query="?value=example.com"),
    "transcripts:verify": Route(Level.PUBLIC),
    "transcripts:public_key_pem": Route(Level.PUBLIC),
    "transcripts:public_key_json": Route(Level.PUBLIC),
    # The chat widget's HTTP endpoints authenticate each visitor with the site key and the
    # visitor's own token (tested in kefu/inbox); the matrix checks they never fail open.
    "webchat:site_config": Route(Level.PUBLIC, lambda w: {"key": w.chat_site_key}),
    # Channel webhooks authenticate the provider by its secret (tested in kefu/inbox); POST
    # only and CSRF-exempt, so every persona's GET gets 405.
    "channels:webhook": Route(Level.PUBLIC, lambda w: {"kind": "telegram"}),
    "channels:telegram_connect": Route(Level.PORTAL),
    "webchat:hello": Route(Level.PUBLIC),
    "webchat:frames": Route(Level.PUBLIC),
    "webchat:poll": Route(Level.PUBLIC),
    "webchat:upload": Route(Level.PUBLIC),
    "webchat:escalate": Route(Level.PUBLIC),
    "webchat:attachment": Route(Level.PUBLIC, lambda w: {"pk": w.attachment.pk}),
    "webchat:demo": Route(Level.PUBLIC),
    # --- customer portal --------------------------------------------------------------------
    "portal:home": Route(Level.PUBLIC),
    "portal:login": Route(Level.PUBLIC),
    "portal:login_code": Route(Level.SIGN_IN),
    "portal:signup": Route(Level.PUBLIC),
    "portal:logout": Route(Level.PUBLIC),
    "portal:account": Route(Level.PORTAL),
    "portal:account_antiphishing": Route(Level.PORTAL),
    "portal:account_sign_out_everywhere": Route(Level.PORTAL),
    "portal:account_password": Route(Level.PORTAL),
    "portal:account_emergency_freeze": Route(Level.PORTAL),
    "portal:account_export": Route(Level.PORTAL),
    "portal:account_erasure": Route(Level.PORTAL),
    "portal:request_list": Route(Level.PORTAL),
    "portal:request_new": Route(Level.PORTAL),
    "portal:request_detail": Route(Level.PORTAL_OWN, _conv),
    "portal:request_escalate": Route(Level.PORTAL_OWN, _conv),
    "portal:complaint_new": Route(Level.PORTAL),
    "portal:request_reply": Route(Level.PORTAL_OWN, _conv),
    "portal:request_close": Route(Level.PORTAL_OWN, _conv),
    "portal:request_reopen": Route(Level.PORTAL_OWN, _conv),
    "portal:attachment_download": Route(
        Level.PORTAL_OWN, lambda w: {"pk": w.conversation.pk, "attachment_pk": w.attachment.pk}
    ),
    "portal:request_transcript": Route(
        Level.PORTAL_OWN, lambda w: {"pk": w.conversation.pk, "fmt": "json"}
    ),
    "callbacks:book": Route(Level.PORTAL),
    "callbacks:current": Route(Level.PORTAL),
    "callbacks:cancel": Route(Level.PORTAL),
    "callbacks:renew": Route(Level.PORTAL),
    # --- agent workspace --------------------------------------------------------------------
    "workspace:inbox": Route(Level.WORKSPACE),
    "workspace:preferences": Route(Level.WORKSPACE),
    # SLA alerts: every staff member sees (and marks read) only their own.
    "agent_alerts:list": Route(Level.WORKSPACE),
    "agent_alerts:mark_read": Route(Level.WORKSPACE),
    "workspace:presence": Route(Level.WORKSPACE),
    "workspace:security": Route(Level.WORKSPACE),
    "workspace:security_enrol_start": Route(Level.WORKSPACE),
    "workspace:security_enrol": Route(Level.WORKSPACE),
    "workspace:security_codes": Route(Level.WORKSPACE),
    "workspace:security_disable": Route(Level.WORKSPACE),
    "workspace:security_sign_out_everywhere": Route(Level.WORKSPACE),
    "workspace:security_password": Route(Level.WORKSPACE),
    "trust:phrase_issue": Route(Level.CONVERSATION_A, _conv),
    # Phone callbacks: every agent sees the queue; the customer's details wait for the code.
    # Satisfaction surveys: the email link is the customer's capability (signed, expiring);
    # the portal form answers one's own; follow-up tasks are for supervisors and admins.
    "csat:rate": Route(Level.PUBLIC, _survey_link),
    "csat:portal_answer": Route(Level.PORTAL_OWN, _conv),
    # Escalation by email: the signed link in Kefu's emails is the customer's capability.
    "routing:email_link": Route(Level.PUBLIC, _escalation_link),
    "agent_csat:followups": Route(Level.MANAGER),
    # Analytics dashboards (and their CSV/XLSX exports): supervisors and admins only.
    "agent_analytics:overview": Route(Level.MANAGER),
    "agent_analytics:breakdown": Route(Level.MANAGER, lambda w: {"dimension": "agent"}),
    "automation:rule_list": Route(Level.MANAGER),
    "automation:rule_create": Route(Level.MANAGER),
    "automation:rule_edit": Route(Level.MANAGER, _rule),
    "automation:rule_delete": Route(Level.MANAGER, _rule),
    # Incidents: any agent links a conversation they see; the bulk reply is for managers.
    "agent_incidents:link": Route(Level.CONVERSATION_A, _conv),
    "agent_incidents:unlink": Route(Level.CONVERSATION_A, _conv),
    "agent_incidents:conversations": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "agent_csat:followup_assign": Route(Level.MANAGER, _followup),
    "agent_csat:followup_complete": Route(Level.MANAGER, _followup),
    # Spike alerts (issue 10): supervisors and admins only.
    "agent_trends:list": Route(Level.MANAGER),
    "agent_trends:detail": Route(Level.MANAGER, _trend_alert),
    "agent_trends:acknowledge": Route(Level.MANAGER, _trend_alert),
    "agent_trends:open_incident": Route(Level.MANAGER, _trend_alert),
    "agent_callbacks:queue": Route(Level.WORKSPACE),
    "agent_callbacks:detail": Route(Level.WORKSPACE, _callback),
    "agent_callbacks:claim": Route(Level.WORKSPACE, _callback),
    "agent_callbacks:verify": Route(Level.WORKSPACE, _callback),
    "agent_callbacks:complete": Route(Level.WORKSPACE, _callback),
    "agent_callbacks:missed": Route(Level.WORKSPACE, _callback),
    "agent_callbacks:cancel": Route(Level.WORKSPACE, _callback),
    # The customer's account and fund records at the exchange, beside the conversation.
    "exchange:funds": Route(Level.CONVERSATION_A, _conv),
    "cases:submit": Route(Level.PUBLIC),
    "cases:queue": Route(Level.WORKSPACE),
    "cases:detail": Route(Level.WORKSPACE, _case),
    "cases:document": Route(Level.WORKSPACE, lambda w: {**_case(w), "kind": "selfie"}),
    "cases:act": Route(Level.WORKSPACE, lambda w: {**_case(w), "action": "take"}),
    "exchange:diagnose": Route(Level.CONVERSATION_A, _conv),
    "exchange:freeze": Route(Level.CONVERSATION_A, _conv),
    # Suggested replies and the summary beside the conversation (kefu/assistant/agent_views.py).
    "agent_assistant:panel": Route(Level.CONVERSATION_A, _conv),
    "workspace:conversation": Route(Level.CONVERSATION_A, _conv),
    "workspace:conversation_timeline": Route(Level.CONVERSATION_A, _conv),
    "workspace:conversation_state": Route(Level.CONVERSATION_A, _conv),
    "workspace:attachment": Route(
        Level.CONVERSATION_A, lambda w: {"pk": w.conversation.pk, "attachment_pk": w.attachment.pk}
    ),
    "workspace:customer_reveal": Route(Level.CONVERSATION_A, _conv),
    "workspace:reply": Route(Level.CONVERSATION_A, _conv),
    "workspace:note": Route(Level.CONVERSATION_A, _conv),
    "workspace:assign": Route(Level.CONVERSATION_A, _conv),
    "workspace:team": Route(Level.CONVERSATION_A, _conv),
    "workspace:status": Route(Level.CONVERSATION_A, _conv),
    "workspace:priority": Route(Level.CONVERSATION_A, _conv),
    "workspace:escalate": Route(Level.CONVERSATION_A, _conv),
    "workspace:routing_resolve": Route(Level.CONVERSATION_A, _conv),
    "workspace:routing_queues": Route(Level.MANAGER),
    "workspace:routing_decide": Route(Level.CONVERSATION_A, _escalation_request),
    "workspace:tags": Route(Level.CONVERSATION_A, _conv),
    "workspace:call_notes": Route(Level.CONVERSATION_A, _phone_call),
    "workspace:macro_apply": Route(Level.CONVERSATION_A, _conv),
    "workspace:merge": Route(Level.CONVERSATION_A, _conv),
    "workspace:transcript": Route(
        Level.CONVERSATION_A, lambda w: {"pk": w.conversation.pk, "fmt": "json"}
    ),
    # Knowledge-base authoring: staff with a KB role (author or editor), supervisors, admins.
    "workspace:kb_list": Route(Level.KB_WRITER),
    "workspace:kb_article": Route(Level.KB_WRITER, _article),
    "workspace:kb_feedback": Route(Level.KB_WRITER, _article),
    "workspace:kb_history": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_revision": Route(
        Level.KB_WRITER, lambda w: {"slug": w.article_slug, "lang": "en", "number": 1}
    ),
    "workspace:kb_review": Route(Level.KB_WRITER),
    "workspace:kb_new": Route(Level.KB_WRITER),
    "workspace:kb_preview": Route(Level.KB_WRITER),
    "workspace:kb_related": Route(Level.KB_WRITER, _article),
    "workspace:kb_image": Route(Level.KB_WRITER, _article),
    "workspace:kb_edit": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_submit": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_publish": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_unpublish": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_restore": Route(Level.KB_WRITER, _article_lang),
    "workspace:kb_structure": Route(Level.KB_WRITER),
    "workspace:kb_transfer": Route(Level.KB_WRITER),
    "workspace:kb_export": Route(Level.KB_WRITER),
    "workspace:kb_import": Route(Level.KB_WRITER),
    "workspace:kb_category_new": Route(Level.KB_WRITER),
    "workspace:kb_category_edit": Route(Level.KB_WRITER, lambda w: {"pk": w.category_pk}),
    "workspace:kb_section_new": Route(Level.KB_WRITER, lambda w: {"pk": w.category_pk}),
    "workspace:kb_section_edit": Route(Level.KB_WRITER, lambda w: {"pk": w.section_pk}),
    # --- back office --------------------------------------------------------------------------
    "backoffice:index": Route(Level.MANAGER),
    "backoffice:staff_list": Route(Level.MANAGER),
    "backoffice:staff_create": Route(Level.MANAGER),
    "backoffice:staff_edit": Route(Level.MANAGER, lambda w: {"pk": w.users["agent_a"].pk}),
    "backoffice:team_list": Route(Level.MANAGER),
    "backoffice:team_create": Route(Level.MANAGER),
    "backoffice:team_edit": Route(Level.MANAGER, lambda w: {"pk": w.team_pk}),
    "backoffice:tag_list": Route(Level.MANAGER),
    "backoffice:tag_create": Route(Level.MANAGER),
    "backoffice:tag_edit": Route(Level.MANAGER, lambda w: {"pk": w.tag_pk}),
    "backoffice:tag_delete": Route(Level.MANAGER, lambda w: {"pk": w.tag_pk}),
    "backoffice:macro_list": Route(Level.MANAGER),
    "backoffice:macro_create": Route(Level.MANAGER),
    "backoffice:macro_edit": Route(Level.MANAGER, lambda w: {"pk": w.macro_pk}),
    "backoffice:macro_delete": Route(Level.MANAGER, lambda w: {"pk": w.macro_pk}),
    "backoffice:audit_list": Route(Level.MANAGER),
    "backoffice:calendar_list": Route(Level.MANAGER),
    "backoffice:calendar_create": Route(Level.MANAGER),
    "backoffice:calendar_edit": Route(Level.MANAGER, lambda w: {"pk": w.calendar_pk}),
    "backoffice:calendar_exceptions": Route(Level.MANAGER, lambda w: {"pk": w.calendar_pk}),
    "backoffice:sla_policy_list": Route(Level.MANAGER),
    "backoffice:sla_policy_create": Route(Level.MANAGER),
    "backoffice:sla_policy_edit": Route(Level.MANAGER, lambda w: {"pk": _sla_policy_pk()}),
    "backoffice:contact_option_list": Route(Level.MANAGER),
    "backoffice:contact_option_create": Route(Level.MANAGER),
    "backoffice:contact_option_edit": Route(Level.MANAGER, lambda w: {"pk": w.contact_option_pk}),
    "backoffice:contact_option_delete": Route(Level.MANAGER, lambda w: {"pk": w.contact_option_pk}),
    "backoffice:incident_list": Route(Level.MANAGER),
    "backoffice:incident_create": Route(Level.MANAGER),
    "backoffice:incident_detail": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "backoffice:incident_edit": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "backoffice:incident_resolve": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "backoffice:incident_publish": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "backoffice:incident_delete": Route(Level.MANAGER, lambda w: {"pk": w.incident_pk}),
    "backoffice:apikey_list": Route(Level.ADMIN),
    "backoffice:apikey_create": Route(Level.ADMIN),
    "backoffice:apikey_revoke": Route(Level.ADMIN, lambda w: {"pk": w.api_key_pk}),
    "backoffice:chat_site_list": Route(Level.ADMIN),
    "backoffice:chat_site_create": Route(Level.ADMIN),
    "backoffice:chat_site_edit": Route(Level.ADMIN, lambda w: {"pk": w.chat_site_pk}),
    "backoffice:chat_site_secret": Route(Level.ADMIN, lambda w: {"pk": w.chat_site_pk}),
    "backoffice:chat_site_rotate": Route(Level.ADMIN, lambda w: {"pk": w.chat_site_pk}),
    "backoffice:security_policy": Route(Level.ADMIN),
    "backoffice:staff_2fa_reset": Route(Level.ADMIN, lambda w: {"pk": w.users["agent_a"].pk}),
    "backoffice:official_channels:list": Route(Level.ADMIN),
    "backoffice:official_channels:create": Route(Level.ADMIN),
    "backoffice:official_channels:edit": Route(Level.ADMIN, _channel),
    "backoffice:official_channels:delete": Route(Level.ADMIN, _channel),
    "backoffice:diagnosis_policy:edit": Route(Level.ADMIN),
    "backoffice:survey_policy:edit": Route(Level.MANAGER),
    "backoffice:trend_policy:edit": Route(Level.MANAGER),
    # Hand-off routes of the assistant (kefu/assistant/manage_views.py): supervisors and admins.
    "backoffice:handoff_routes:list": Route(Level.MANAGER),
    "backoffice:handoff_routes:create": Route(Level.MANAGER),
    "backoffice:handoff_routes:edit": Route(Level.MANAGER, _handoff_route),
    "backoffice:handoff_routes:delete": Route(Level.MANAGER, _handoff_route),
    "backoffice:routing:list": Route(Level.MANAGER),
    "backoffice:routing:create": Route(Level.MANAGER),
    "backoffice:routing:edit": Route(Level.MANAGER, _routing_rule),
    "backoffice:routing:delete": Route(Level.MANAGER, _routing_rule),
    "backoffice:routing:policy": Route(Level.MANAGER),
    "backoffice:routing:skills": Route(Level.MANAGER),
    "backoffice:routing:skills_save": Route(Level.MANAGER, lambda w: {"pk": w.users["agent_a"].pk}),
    "backoffice:webhooks:endpoint_list": Route(Level.ADMIN),
    "backoffice:webhooks:endpoint_create": Route(Level.ADMIN),
    "backoffice:webhooks:endpoint_edit": Route(Level.ADMIN, _webhook),
    "backoffice:webhooks:endpoint_rotate": Route(Level.ADMIN, _webhook),
    "backoffice:webhooks:endpoint_toggle": Route(Level.ADMIN, _webhook),
    "backoffice:webhooks:endpoint_ping": Route(Level.ADMIN, _webhook),
    "backoffice:webhooks:endpoint_delete": Route(Level.ADMIN, _webhook),
    "backoffice:webhooks:delivery_redeliver": Route(
        Level.ADMIN, lambda w: {"pk": w.webhook_pk, "delivery_pk": w.delivery_pk}
    ),
    "backoffice:inbound:list": Route(Level.ADMIN),
    "backoffice:inbound:replay": Route(Level.ADMIN, _inbound_event),
    "backoffice:inbound:mailboxes": Route(Level.ADMIN),
    "backoffice:inbound:mailbox_create": Route(Level.ADMIN),
    "backoffice:inbound:mailbox_edit": Route(Level.ADMIN, _mailbox),
    "backoffice:inbound:mailbox_delete": Route(Level.ADMIN, _mailbox),
    "backoffice:inbound:mailbox_poll": Route(Level.ADMIN, _mailbox),
    "backoffice:privacy:retention": Route(Level.ADMIN),
    "backoffice:privacy:hold_create": Route(Level.ADMIN),
    "backoffice:privacy:hold_release": Route(Level.ADMIN, lambda w: {"pk": w.hold_pk}),
    "backoffice:privacy:erasure_list": Route(Level.ADMIN),
    "backoffice:privacy:erasure_execute": Route(Level.ADMIN, lambda w: {"pk": w.erasure_pk}),
    "backoffice:privacy:erasure_decline": Route(Level.ADMIN, lambda w: {"pk": w.erasure_pk}),
    # --- Django's admin site (every admin:* name is covered by these samples) ---------------
    "admin:index": Route(Level.DJANGO_ADMIN),
    "admin:axes_accessattempt_changelist": Route(Level.SUPERUSER),
    "admin:django_tasks_database_dbtaskresult_changelist": Route(Level.SUPERUSER),
}

# Namespaces tested elsewhere or by sample: the REST API (test_api_matrix.py) and Django's
# admin site, whose every view runs behind the same admin_view() check as the samples above.
CLASSIFIED_NAMESPACES = ("api-v1:", "admin:")


def _named_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_named_route_is_classified():
    unclassified = sorted(
        name
        for name in _named_routes()
        if name not in ROUTES and not name.startswith(CLASSIFIED_NAMESPACES)
    )
    assert unclassified == [], "add these routes to ROUTES with who may use them"
    stale = sorted(set(ROUTES) - _named_routes())
    assert stale == [], "these ROUTES rows name URLs that no longer exist"


# --- outcomes ---------------------------------------------------------------------------------


def outcome(response: Any) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if "login" in location:
            return "login"
        if location.startswith("/agent/") and not response.request["PATH_INFO"].startswith(
            "/agent/"
        ):
            return "away"
        return "redirect"
    if status in (403, 404):
        return "denied"
    if status == 405:
        return "method"
    if status == 401:
        return "denied"
    if 200 <= status < 300:
        return "ok"
    return f"status {status}"


ADMIT_OUTCOMES = {"ok", "redirect", "away", "method"}
# Public endpoints may refuse bad input (a made-up token, a missing field, a rate limit).
PUBLIC_OUTCOMES = ADMIT_OUTCOMES | {"denied", "status 400", "status 429"}
REFUSE_OUTCOMES = {"login", "denied", "away"}


@pytest.fixture
def world(
    team_a, team_b, agent_a, agent_b, senior, supervisor, admin_user, customer_1, customer_2
) -> World:
    w = build_world(
        team_a=team_a,
        team_b=team_b,
        agent_a=agent_a,
        agent_b=agent_b,
        senior=senior,
        supervisor=supervisor,
        admin_user=admin_user,
        customer_1=customer_1,
        customer_2=customer_2,
    )
    type(w.conversation).objects.filter(pk=w.conversation.pk).update(subject=SECRET_TEXT)
    return w


def _client(world: World, persona: str) -> Client:
    client = Client()
    user = world.user(persona)
    if user is not None:
        client.force_login(user, backend=BACKEND)
    return client


def _check_route(world: World, name: str, clients: dict[str, Client]) -> list[str]:
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world)) + route.query
    admitted = ADMITTED[route.level]
    problems: list[str] = []
    for persona in PERSONAS:
        client = clients[persona]
        response = client.get(url)
        got = outcome(response)
        if persona in admitted:
            allowed = {
                Level.PUBLIC: PUBLIC_OUTCOMES,
                Level.SIGN_IN: PUBLIC_OUTCOMES | {"login"},
            }.get(route.level, ADMIT_OUTCOMES)
            if got not in allowed:
                problems.append(f"{url} {persona} GET: {got}, expected to be let in")
            continue
        if got not in REFUSE_OUTCOMES | {"method"}:
            problems.append(f"{url} {persona} GET: {got}, expected a refusal")
        if SECRET_TEXT in response.content.decode(errors="replace"):
            problems.append(f"{url} {persona} GET: the refusal shows customer 1's conversation")
        before = AuditEntry.objects.count()
        response = client.post(url, {"body": "matrix", "status": "solved", "name": "x"})
        posted = outcome(response)
        if posted not in REFUSE_OUTCOMES | {"method"}:
            problems.append(f"{url} {persona} POST: {posted}, expected a refusal")
        if AuditEntry.objects.count() != before:
            problems.append(f"{url} {persona} POST changed something (an audit entry was written)")
        if SECRET_TEXT in response.content.decode(errors="replace"):
            problems.append(f"{url} {persona} POST: the refusal shows customer 1's conversation")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("level", list(Level))
def test_each_route_admits_exactly_its_personas(world, level):
    """One test per access level (building the world once per level keeps this fast); every
    route of the level, every persona, GET and (for refused personas) POST."""
    clients = {persona: _client(world, persona) for persona in PERSONAS}
    problems: list[str] = []
    for name in sorted(n for n, r in ROUTES.items() if r.level == level):
        problems += _check_route(world, name, clients)
    assert not problems, "\n".join(problems)
