"""Pages for verified cases: the public request form (help center layout, no sign-in, rate
limited per IP) and the reviewers' queue and case page (workspace, staff only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.cases import forms, selectors, services
from kefu.cases.documents import DocumentUnreadable
from kefu.cases.models import CaseKind, CaseState, DocumentKind, VerificationCase
from kefu.core import ratelimit
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError, NotFound, RateLimited
from kefu.core.forms import add_service_error
from kefu.exchange.connector import ConnectorError
from kefu.exchange.services import account_lookup, security_events_lookup
from kefu.helpcenter.languages import best_language
from kefu.helpcenter.views.common import render_help
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context

SUBMIT_LIMIT = 5  # requests per IP per hour
SUBMIT_WINDOW = 3600


# --- the public request ----------------------------------------------------------------------


def _submit_page(
    request: HttpRequest, lang: str, *, status: int = 200, **context: Any
) -> HttpResponse:
    return render_help(
        request,
        lang,
        "cases/submit.html",
        context,
        path_for=lambda code: f"{reverse('cases:submit')}?lang={code}",
        title=_("Verify your identity to get back into your account"),
        description=_(
            "Locked out, or lost your two-factor device? Prove who you are and we will help."
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    lang = best_language(
        request.GET.get("lang") or request.POST.get("lang") or translation.get_language()
    )
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        response = _submit(request, lang)
    response.headers.setdefault("Content-Language", lang)
    return response


def _submit(request: HttpRequest, lang: str) -> HttpResponse:
    if request.method == "GET":
        kind = request.GET.get("kind", "")
        initial = {"kind": kind} if kind in CaseKind.values else {}
        return _submit_page(request, lang, form=forms.SubmitForm(initial=initial))
    form = forms.SubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        return _submit_page(request, lang, status=400, form=form)
    ip = ratelimit.client_ip(request.META)
    try:
        ratelimit.hit(f"cases-submit:{ip}", limit=SUBMIT_LIMIT, window_seconds=SUBMIT_WINDOW)
    except RateLimited:
        form.add_error(None, _("Too many requests from here. Please try again later."))
        response = _submit_page(request, lang, status=429, form=form)
        response["Retry-After"] = str(SUBMIT_WINDOW)
        return response
    data = form.cleaned_data
    try:
        case = services.case_submit(
            kind=data["kind"],
            email=data["email"],
            phone=data["phone"],
            description=data["description"],
            id_document=data["id_document"].read(),
            selfie=data["selfie"].read(),
            language=lang,
            ip=ip,
            actor=Actor(kind=ActorKind.SYSTEM, label="verification-form", ip=ip),
        )
    except KefuError as exc:
        add_service_error(form, exc)
        return _submit_page(request, lang, status=400, form=form)
    return _submit_page(request, lang, submitted=case)


# --- reviewers ---------------------------------------------------------------------------------


def _case(request: HttpRequest, pk: int) -> VerificationCase:
    try:
        return selectors.case_get(viewer=current_agent(request), pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@agent_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    closed = request.GET.get("show") == "closed"
    rows = selectors.case_queue(viewer=current_agent(request), closed=closed)
    context = {
        **page_context(request, "cases"),
        "rows": rows,
        "closed": closed,
        "target_hours": selectors.case_policy().review_target_hours,
    }
    return render(request, "cases/queue.html", context)


def _account(case: VerificationCase, actor: Actor) -> dict[str, Any]:
    """The exchange's view of the matched account (audited lookups), or why there is none."""
    if case.contact is None:
        return {"error": _("No account matches the email address or phone number given.")}
    reason = _("Verified case %(ref)s") % {"ref": case.ref}
    try:
        profile = account_lookup(contact=case.contact, actor=actor, reason=reason)
        events = security_events_lookup(contact=case.contact, actor=actor, reason=reason, limit=10)
    except ConnectorError as exc:
        return {"error": str(exc)}
    return {"profile": profile, "events": events}


def _detail_context(request: HttpRequest, case: VerificationCase, **forms_: Any) -> dict[str, Any]:
    me = current_agent(request)
    version = {"version": case.version}
    stored = {d.kind: d for d in case.documents.all()}
    return {
        **page_context(request, "cases"),
        "case": case,
        "account": _account(case, current_actor(request)) if case.is_open else None,
        "documents": [
            {"kind": kind, "label": label, "doc": stored.get(kind)}
            for kind, label in DocumentKind.choices
        ],
        "events": case.events.select_related("user"),
        "states": CaseState,
        "is_reviewer": case.reviewer_id == me.pk,
        "can_approve": services.can_approve(me) and case.reviewer_id != me.pk,
        "version_form": forms.VersionForm(initial=version),
        "prepare_form": forms_.get("prepare_form") or forms.PrepareForm(initial=version),
        "note_form": forms_.get("note_form") or forms.NoteForm(initial=version),
        "reject_form": forms_.get("reject_form") or forms.RejectForm(initial=version),
        "error": forms_.get("error", ""),
    }


@agent_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return render(request, "cases/detail.html", _detail_context(request, case))


@agent_required
@require_GET
def document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    case = _case(request, pk)
    if kind not in DocumentKind.values:
        raise Http404
    try:
        doc = selectors.case_document_get(viewer=current_agent(request), case=case, kind=kind)
        content = services.case_document_read(document=doc, actor=current_actor(request))
    except (NotFound, DocumentUnreadable) as exc:
        raise Http404 from exc
    response = HttpResponse(content, content_type=doc.content_type)
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = f'inline; filename="{case.ref}-{kind}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _with_version(
    form_class: type[forms.VersionForm], name: str, call: Callable[[forms.VersionForm], object]
) -> Callable[[HttpRequest, VerificationCase], HttpResponse | None]:
    """Bind the action's form; on success run ``call``; on failure re-render the case page."""

    def run(request: HttpRequest, case: VerificationCase) -> HttpResponse | None:
        form = form_class(request.POST)
        if form.is_valid():
            try:
                call(form)
                return None
            except KefuError as exc:
                add_service_error(form, exc)
        context = _detail_context(request, case, **{name: form})
        context["error"] = " ".join(str(e) for e in form.non_field_errors()) or _(
            "Check the form below."
        )
        return render(request, "cases/detail.html", context, status=400)

    return run


@agent_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case(request, pk)
    actor = current_actor(request)

    def version(form: forms.VersionForm) -> int:
        return int(form.cleaned_data["version"])

    handlers: dict[str, Callable[[HttpRequest, VerificationCase], HttpResponse | None]] = {
        "take": _with_version(
            forms.VersionForm, "version_form",
            lambda f: services.case_take(case=case, expected_version=version(f), actor=actor),
        ),
        "release": _with_version(
            forms.VersionForm, "version_form",
            lambda f: services.case_release(case=case, expected_version=version(f), actor=actor),
        ),
        "prepare": _with_version(
            forms.PrepareForm, "prepare_form",
            lambda f: services.case_prepare(
                case=case, expected_version=version(f), actor=actor,
                check_document_name=f.cleaned_data["check_document_name"],
                check_selfie=f.cleaned_data["check_selfie"],
                check_security_events=f.cleaned_data["check_security_events"],
                risk_notes=f.cleaned_data["risk_notes"],
            ),
        ),
        "send-back": _with_version(
            forms.NoteForm, "note_form",
            lambda f: services.case_send_back(
                case=case, expected_version=version(f), note=f.cleaned_data["note"], actor=actor
            ),
        ),
        "approve": _with_version(
            forms.VersionForm, "version_form",
            lambda f: services.case_approve(case=case, expected_version=version(f), actor=actor),
        ),
        "retry": _with_version(
            forms.VersionForm, "version_form",
            lambda f: services.case_retry_action(
                case=case, expected_version=version(f), actor=actor
            ),
        ),
        "reject": _with_version(
            forms.RejectForm, "reject_form",
            lambda f: services.case_reject(
                case=case, expected_version=version(f), reason=f.cleaned_data["reason"], actor=actor
            ),
        ),
    }  # fmt: skip
    handler = handlers.get(action)
    if handler is None:
        raise Http404
    failed = handler(request, case)
    if failed is not None:
        return failed
    case.refresh_from_db()
    if case.state == CaseState.APPROVED and case.last_error:
        messages.error(
            request,
            _("Approved, but the exchange did not act: %(error)s") % {"error": case.last_error},
        )
    else:
        messages.success(
            request,
            _("Case %(ref)s: %(state)s.") % {"ref": case.ref, "state": case.get_state_display()},
        )
    return redirect("cases:detail", pk=case.pk)
