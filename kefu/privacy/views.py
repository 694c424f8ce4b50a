"""Privacy pages: retention policy and legal holds, erasure requests (administrators only;
anyone else gets a 404), and the customer's export and erasure request in the portal
(mounted by kefu/portal/urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import act_and_redirect, bind_form, page_context
from kefu.core import clock
from kefu.core.errors import KefuError, NotFound
from kefu.core.forms import add_service_error
from kefu.portal.access import Customer, customer_required
from kefu.privacy import selectors
from kefu.privacy.forms import DeclineForm, HoldForm, RetentionPolicyForm
from kefu.privacy.models import ErasureRequest, LegalHold, RetentionPolicy
from kefu.privacy.services import erasure, export, holds
from kefu.privacy.services import retention as retention_service

SECTION = "privacy"


def _retention_page(
    request: HttpRequest, me: User, *, form: RetentionPolicyForm, hold_form: HoldForm
) -> HttpResponse:
    preview = retention_service.retention_enforce(actor=actor_for(request, me), dry_run=True)
    return render(
        request,
        "privacy/retention.html",
        page_context(
            me,
            SECTION,
            form=form,
            hold_form=hold_form,
            holds=selectors.hold_list_for_admin(viewer=me),
            preview=preview,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    policy = RetentionPolicy.load()
    initial = {
        "message_days": policy.message_days,
        "attachment_days": policy.attachment_days,
        "identity_document_days": policy.identity_document_days,
        "erasure_keeps_account_id": policy.erasure_keeps_account_id,
        "erasure_keeps_transaction_ids": policy.erasure_keeps_transaction_ids,
    }
    form = bind_form(request, RetentionPolicyForm, initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            retention_service.policy_update(
                message_days=data["message_days"],
                attachment_days=data["attachment_days"],
                identity_document_days=data["identity_document_days"],
                erasure_keeps_account_id=data["erasure_keeps_account_id"],
                erasure_keeps_transaction_ids=data["erasure_keeps_transaction_ids"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Retention policy saved."))
            return redirect("backoffice:privacy:retention")
    return _retention_page(request, me, form=form, hold_form=HoldForm())


@login_required
@require_POST
def hold_create(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    hold_form = HoldForm(request.POST)
    if hold_form.is_valid():
        try:
            subject = holds.hold_target(hold_form.cleaned_data["subject"])
            holds.hold_place(
                subject=subject,
                reason=hold_form.cleaned_data["reason"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(hold_form, exc)
        else:
            messages.success(request, _("Legal hold placed."))
            return redirect("backoffice:privacy:retention")
    policy = RetentionPolicy.load()
    form = RetentionPolicyForm(
        initial={
            "message_days": policy.message_days,
            "attachment_days": policy.attachment_days,
            "identity_document_days": policy.identity_document_days,
            "erasure_keeps_account_id": policy.erasure_keeps_account_id,
            "erasure_keeps_transaction_ids": policy.erasure_keeps_transaction_ids,
        }
    )
    return _retention_page(request, me, form=form, hold_form=hold_form)


def _hold(me: User, pk: int) -> LegalHold:
    try:
        return selectors.hold_get_for_admin(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    hold = _hold(me, pk)
    return act_and_redirect(
        request,
        lambda: holds.hold_release(hold=hold, actor=actor_for(request, me)),
        success=_("Legal hold released."),
        to=reverse("backoffice:privacy:retention"),
    )


def _erasure(me: User, pk: int) -> ErasureRequest:
    try:
        return selectors.erasure_get_for_admin(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_GET
def erasure_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    return render(
        request,
        "privacy/erasure_list.html",
        page_context(
            me,
            SECTION,
            requests=selectors.erasure_list_for_admin(viewer=me),
        ),
    )


@login_required
@require_POST
def erasure_execute(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    found = _erasure(me, pk)
    return act_and_redirect(
        request,
        lambda: erasure.customer_erase(
            contact=found.contact, request=found, actor=actor_for(request, me)
        ),
        success=_("The customer's personal data was erased."),
        to=reverse("backoffice:privacy:erasure_list"),
    )


@login_required
@require_POST
def erasure_decline(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    found = _erasure(me, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for declining."))
        return redirect("backoffice:privacy:erasure_list")
    return act_and_redirect(
        request,
        lambda: erasure.erasure_decline(
            request=found, note=form.cleaned_data["note"], actor=actor_for(request, me)
        ),
        success=_("Request declined."),
        to=reverse("backoffice:privacy:erasure_list"),
    )


# --- the customer's side (portal account page) ----------------------------------------------


@never_cache
@require_POST
@customer_required
def portal_export(request: HttpRequest, customer: Customer) -> HttpResponse:
    data = export.customer_export(contact=customer.contact, actor=customer.actor)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    name = f"kefu-my-data-{clock.now():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@customer_required
def portal_erasure_request(request: HttpRequest, customer: Customer) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want your data erased."))
        return redirect(reverse("portal:account") + "#my-data")
    erasure.erasure_request(contact=customer.contact, actor=customer.actor)
    messages.success(
        request,
        _(
            "We received your request. An administrator will erase your data; "
            "records the law requires us to keep are retained."
        ),
    )
    return redirect(reverse("portal:account") + "#my-data")
