"""The public "is this really you?" page and API, impersonation reports, verification phrases.

Public pages use the help center's layout. Every request that checks something is rate limited
per client IP (429 with ``Retry-After``); the registry is public, but guessing phrases is not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.core import ratelimit
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError, NotFound, RateLimited
from kefu.core.forms import add_service_error
from kefu.helpcenter.languages import best_language
from kefu.helpcenter.views.common import render_help
from kefu.trust import reasons, selectors, services
from kefu.trust.check import NOT_OFFICIAL, OFFICIAL, SUSPICIOUS, Verdict, check
from kefu.trust.forms import CheckForm, PhraseForm, ReportForm
from kefu.trust.normalise import InvalidValue

WINDOW = 60
CHECK_LIMIT = 30  # checks per IP per minute (page and API together)
PHRASE_LIMIT = 10  # phrase checks per IP per 10 minutes
PHRASE_WINDOW = 600
REPORT_LIMIT = 5  # reports per IP per hour
REPORT_WINDOW = 3600
PHRASE_ISSUE_LIMIT = 20  # phrases one agent may give per 10 minutes


def _retry_after(window: int) -> int:
    return window - int(time.time()) % window or 1


def _limit(request: HttpRequest, bucket: str, *, limit: int, window: int) -> int:
    """0 if the request may go on, else the seconds to wait (the hit was counted)."""
    try:
        ratelimit.hit(
            f"trust-{bucket}:{ratelimit.client_ip(request.META)}",
            limit=limit,
            window_seconds=window,
        )
    except RateLimited:
        return _retry_after(window)
    return 0


def _language(request: HttpRequest) -> str:
    """``?lang=`` if given, else the request's language (Accept-Language, the user's choice)."""
    asked = request.GET.get("lang") or request.POST.get("lang")
    return best_language(asked or translation.get_language())


def _customer_contact(request: HttpRequest) -> Contact | None:
    user = request.user
    if isinstance(user, User) and user.is_customer:
        return Contact.objects.filter(user=user).first()
    return None


def _actor(request: HttpRequest) -> Actor:
    user = request.user
    ip = ratelimit.client_ip(request.META)
    if isinstance(user, User):
        return actor_for_user(user, ip=ip)
    return Actor(kind=ActorKind.SYSTEM, label="trust-check", ip=ip)


def _result(verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict": verdict.verdict,
        "kind": verdict.kind,
        "kind_name": reasons.kind_name(verdict.kind),
        "normalised": verdict.normalised,
        "resembles": verdict.resembles,
        "reason": verdict.reason,
        "label": verdict.label,
        "title": reasons.title(verdict),
        "explanation": reasons.explain(verdict),
        "reportable": verdict.verdict in (SUSPICIOUS, NOT_OFFICIAL),
    }


# --- the page --------------------------------------------------------------------------------


def _page(request: HttpRequest, lang: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("check_form", CheckForm())
    context.setdefault("phrase_form", PhraseForm())
    context["verdicts"] = {"official": OFFICIAL, "suspicious": SUSPICIOUS}
    response = render_help(
        request,
        lang,
        "trust/check.html",
        context,
        path_for=lambda code: f"{reverse('trust:check')}?lang={code}",
        title=_("Is this really us?"),
        description=_(
            "Check whether a website, email address, phone number, account or staff member "
            "is really ours."
        ),
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(context.get("retry_after", WINDOW))
    return response


def _in_language(view: Callable[[HttpRequest, str], HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest) -> HttpResponse:
        lang = _language(request)
        with translation.override(lang):
            request.LANGUAGE_CODE = lang
            response = view(request, lang)
        response.headers.setdefault("Content-Language", lang)
        return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_http_methods(["GET"])
@_in_language
def check_page(request: HttpRequest, lang: str) -> HttpResponse:
    """The form; with ``?value=`` also the verdict on it."""
    if "value" not in request.GET:
        return _page(request, lang)
    form = CheckForm(request.GET)
    if not form.is_valid():
        return _page(request, lang, status=400, check_form=form)
    wait = _limit(request, "check", limit=CHECK_LIMIT, window=WINDOW)
    if wait:
        form.add_error(None, _("Too many checks. Please wait a minute and try again."))
        return _page(request, lang, status=429, check_form=form, retry_after=wait)
    value = form.cleaned_data["value"]
    try:
        verdict = check(value, registry=selectors.registry(language=lang))
    except InvalidValue as exc:
        form.add_error("value", reasons.input_error(exc))
        return _page(request, lang, status=400, check_form=form)
    report_form = ReportForm(
        initial={"value": value}, needs_email=_customer_contact(request) is None
    )
    return _page(request, lang, check_form=form, result=_result(verdict), report_form=report_form)


@require_POST
@_in_language
def report(request: HttpRequest, lang: str) -> HttpResponse:
    """Report a checked value as an impersonation: opens a security conversation."""
    contact = _customer_contact(request)
    form = ReportForm(request.POST, needs_email=contact is None)
    if not form.is_valid():
        return _page(request, lang, status=400, report_form=form, report_open=True)
    value = form.cleaned_data["value"]
    try:
        verdict = check(value, registry=selectors.registry(language=lang))
    except InvalidValue as exc:
        form.add_error("value", reasons.input_error(exc))
        return _page(request, lang, status=400, report_form=form, report_open=True)
    if verdict.verdict == OFFICIAL:
        form.add_error(
            None, _("This is one of our official channels, so there is nothing to report.")
        )
        return _page(request, lang, status=400, report_form=form, report_open=True)
    wait = _limit(request, "report", limit=REPORT_LIMIT, window=REPORT_WINDOW)
    if wait:
        form.add_error(None, _("Too many reports from here. Please try again later."))
        return _page(
            request, lang, status=429, report_form=form, report_open=True, retry_after=wait
        )
    try:
        conversation = services.impersonation_report(
            value=value,
            verdict=verdict,
            details=form.cleaned_data["details"],
            contact=contact,
            email=form.cleaned_data.get("email") or "",
            language=lang,
            actor=_actor(request),
        )
    except KefuError as exc:
        add_service_error(form, exc)
        return _page(request, lang, status=400, report_form=form, report_open=True)
    return _page(request, lang, reported=_reported(conversation, contact))


def _reported(conversation: Conversation, contact: Contact | None) -> dict[str, str]:
    url = reverse("portal:request_detail", args=[conversation.pk]) if contact else ""
    return {"reference": conversation.reference, "url": url}


@require_POST
@_in_language
def phrase_check(request: HttpRequest, lang: str) -> HttpResponse:
    """Check a verification phrase an agent gave (used up when valid)."""
    form = PhraseForm(request.POST)
    if not form.is_valid():
        return _page(request, lang, status=400, phrase_form=form)
    wait = _limit(request, "phrase", limit=PHRASE_LIMIT, window=PHRASE_WINDOW)
    if wait:
        form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))
        return _page(request, lang, status=429, phrase_form=form, retry_after=wait)
    outcome = services.verification_phrase_check(
        phrase=form.cleaned_data["phrase"], actor=_actor(request)
    )
    return _page(
        request,
        lang,
        phrase_form=PhraseForm(),
        phrase_result=outcome,
        exchange=exchange_name(),
    )


def exchange_name() -> str:
    """The exchange's name for "given by <agent> of <exchange>" (``KEFU_EXCHANGE_NAME``, else
    the transcript issuer name)."""
    return str(
        getattr(settings, "KEFU_EXCHANGE_NAME", "")
        or getattr(settings, "KEFU_TRANSCRIPT_ISSUER", "")
        or "Kefu"
    )


# --- the API ---------------------------------------------------------------------------------


def _api_error(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}, **extra}, status=status)
    response.headers["Content-Language"] = translation.get_language() or "en"
    return response


def _api_value(request: HttpRequest) -> str | None:
    if request.method == "GET":
        return request.GET.get("value")
    if (request.content_type or "").startswith("application/json"):
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        value = body.get("value") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None
    return request.POST.get("value")


@csrf_exempt  # no cookies are read or written: a read-only check, open to any client
@require_http_methods(["GET", "POST"])
@_in_language
def api_check(request: HttpRequest, lang: str) -> HttpResponse:
    """``GET /trust/api/check?value=...`` (or POST ``value`` as a form or JSON): the verdict."""
    value = _api_value(request)
    if value is None or not value.strip():
        return _api_error("invalid_value", str(reasons.INPUT_ERRORS["empty"]), 400)
    wait = _limit(request, "check", limit=CHECK_LIMIT, window=WINDOW)
    if wait:
        response = _api_error(
            "rate_limited", _("Too many checks. Please wait a minute and try again."), 429
        )
        response["Retry-After"] = str(wait)
        return response
    try:
        verdict = check(value, registry=selectors.registry(language=lang))
    except InvalidValue as exc:
        return _api_error("invalid_value", reasons.input_error(exc), 400, reason=exc.code)
    response = JsonResponse(
        {
            "verdict": verdict.verdict,
            "kind": verdict.kind,
            "resembles": verdict.resembles,
            "reason": verdict.reason,
            "explanation": reasons.explain(verdict),
            "normalised": verdict.normalised,
        }
    )
    response.headers["Content-Language"] = lang
    return response


# --- agents: give a verification phrase ------------------------------------------------------


@require_POST
def phrase_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a one-time verification phrase in conversation ``pk`` and show it to the agent."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(reverse("workspace:conversation", args=[pk]))
    if not isinstance(user, User) or not user.is_agent:
        raise Http404
    conversation = Conversation.objects.filter(pk=pk).first()
    if conversation is None:
        raise Http404
    context: dict[str, Any] = {"conversation": conversation}
    status = 200
    try:
        ratelimit.hit(f"trust-issue:{user.pk}", limit=PHRASE_ISSUE_LIMIT, window_seconds=600)
        issued = services.verification_phrase_issue(
            conversation=conversation,
            actor=actor_for_user(user, ip=ratelimit.client_ip(request.META)),
        )
    except NotFound as exc:
        raise Http404 from exc
    except KefuError as exc:
        context["error"] = exc.message
        status = exc.status
    else:
        context["issued"] = issued
        context["check_url"] = request.build_absolute_uri(reverse("trust:check"))
    response = render(request, "trust/phrase_issued.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
