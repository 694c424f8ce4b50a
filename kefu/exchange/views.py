"""The "Funds" section of the conversation page's side panel: the customer's exchange account
status, their latest fund records, the diagnosis form and the staff emergency freeze.

Every load and every diagnosis goes through the audited lookups (kefu.exchange.services) with
the conversation as the reason. The side panel only holds a placeholder (``_panel.html``);
``static/exchange/panel.js`` fetches the section once per page and keeps it across the live
page's swaps. Without JavaScript the placeholder's link and the diagnosis form open pages of
their own, where the customer-facing text sits in a text box to copy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.conversations.models import Conversation
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.core import ratelimit
from kefu.core.errors import KefuError, RateLimited, ValidationFailed
from kefu.core.forms import add_service_error
from kefu.exchange import diagnosis_text
from kefu.exchange.connector import AccountNotFound, AccountStatus, ConnectorError
from kefu.exchange.diagnosis import DiagnosisQuery, Outcome, diagnosis_for, format_amount
from kefu.exchange.services import (
    FREEZE_NOTE_MAX_LENGTH,
    account_lookup,
    emergency_freeze,
    fund_records_lookup,
)
from kefu.portal.access import Customer, customer_required
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context

PANEL_RECORDS = 8


class DiagnoseForm(forms.Form):
    txid = forms.CharField(
        label=gettext_lazy("Transaction ID (txid)"), required=False, max_length=200
    )
    asset = forms.CharField(label=gettext_lazy("Asset"), required=False, max_length=20)
    network = forms.CharField(label=gettext_lazy("Network"), required=False, max_length=20)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        required=False,
        min_value=Decimal(0),
        max_digits=36,
        decimal_places=18,
    )

    def query(self) -> DiagnosisQuery:
        data = self.cleaned_data
        return DiagnosisQuery(
            txid=data["txid"].strip(),
            asset=data["asset"].strip().upper(),
            network=data["network"].strip().upper(),
            amount=data["amount"],
        )


class StaffFreezeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("How did you verify that the customer asked for the freeze?"),
        help_text=gettext_lazy(
            "For example: called back on the verified phone number and checked the identity "
            "questions. Recorded in the audit log."
        ),
        max_length=FREEZE_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand withdrawals and trading stop at once, until the account is unlocked "
            "through a verified case"
        ),
    )


def _reason(conversation: Conversation) -> str:
    # Audit data, not shown to customers: kept in English like the other reasons.
    return f"conversation {conversation.reference}"


def _is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _account_status_label(status: AccountStatus) -> str:
    labels = {
        AccountStatus.ACTIVE: pgettext("exchange account status", "Active"),
        AccountStatus.LOCKED: pgettext("exchange account status", "Locked"),
        AccountStatus.FROZEN: pgettext("exchange account status", "Frozen"),
        AccountStatus.DISABLED: pgettext("exchange account status", "Closed"),
    }
    return labels[status]


def _panel_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    actor = current_actor(request)
    reason = _reason(conversation)
    context: dict[str, Any] = {"conversation": conversation, "account": None, "rows": []}
    try:
        account = account_lookup(contact=conversation.contact, actor=actor, reason=reason)
        records = fund_records_lookup(
            contact=conversation.contact, actor=actor, reason=reason, limit=PANEL_RECORDS
        )
    except AccountNotFound:
        context["error"] = _("No exchange account is linked to this customer.")
        return context
    except ConnectorError:
        context["error"] = _("The exchange did not answer. Try again in a moment.")
        return context
    context["account"] = account
    context["account_status_label"] = _account_status_label(account.status)
    context["rows"] = [
        {
            "record": r,
            "direction": diagnosis_text.direction_label(r.direction),
            "status": diagnosis_text.status_label(r.status),
            "amount": format_amount(r.amount),
        }
        for r in records
    ]
    return context


@never_cache
@require_GET
@agent_required
def funds_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Funds section of a conversation the agent may see (its own page without JS)."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    context = {
        **_panel_context(request, conversation),
        "form": DiagnoseForm(),
        "freeze_form": StaffFreezeForm(),
    }
    if _is_fragment(request):
        return TemplateResponse(request, "exchange/_funds.html", context)
    return TemplateResponse(
        request, "exchange/funds_page.html", {**page_context(request, "inbox"), **context}
    )


@never_cache
@require_POST
@agent_required
def funds_diagnose(request: HttpRequest, pk: int) -> HttpResponse:
    """Diagnose the customer's question about a deposit or withdrawal."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    form = DiagnoseForm(request.POST)
    context: dict[str, Any] = {"conversation": conversation, "form": form}
    status = 200
    if not form.is_valid():
        status = 400
    else:
        try:
            diagnosis = diagnosis_for(
                contact=conversation.contact,
                actor=current_actor(request),
                query=form.query(),
                reason=_reason(conversation),
            )
        except ConnectorError:
            context["error"] = _("The exchange did not answer. Try again in a moment.")
            status = 503
        except ValidationFailed as error:
            context["error"] = error.message
            status = 400
        else:
            language = conversation.language or conversation.contact.language
            context.update(
                diagnosis=diagnosis,
                outcome_label={
                    Outcome.MATCHED: _("One matching record"),
                    Outcome.SEVERAL: _("Several records match: ask the customer which one"),
                    Outcome.NONE: _("Nothing matches"),
                    Outcome.NO_ACCOUNT: _("No exchange account"),
                }[diagnosis.outcome],
                customer_text=diagnosis.customer_message(language),
                customer_language="zh-hans" if language.lower().startswith("zh") else "en",
            )
    if _is_fragment(request):
        return TemplateResponse(request, "exchange/_diagnosis.html", context, status=status)
    return TemplateResponse(
        request,
        "exchange/diagnosis_page.html",
        {**page_context(request, "inbox"), **context},
        status=status,
    )


# -- Staff freeze the customer's account on their verified request (the Funds section) ------


def _freeze_page(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return TemplateResponse(
        request,
        "exchange/freeze_page.html",
        {**page_context(request, "inbox"), **context},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def funds_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the freeze form with its warning. POST: freeze the customer's exchange account on
    their verified request (the note says how it was verified) and show the outcome."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    if request.method == "GET":
        return _freeze_page(request, {"conversation": conversation, "form": StaffFreezeForm()})
    form = StaffFreezeForm(request.POST)
    context: dict[str, Any] = {"conversation": conversation, "form": form}
    if not form.is_valid():
        return _freeze_page(request, context, status=400)
    try:
        outcome = emergency_freeze(
            contact=conversation.contact,
            actor=current_actor(request),
            note=form.cleaned_data["note"],
        )
    except AccountNotFound:
        context["error"] = _("No exchange account is linked to this customer.")
        return _freeze_page(request, context, status=400)
    except ConnectorError:
        context["error"] = _(
            "The exchange did not answer, so the account was not frozen. Try again in a moment."
        )
        return _freeze_page(request, context, status=503)
    except ValidationFailed as exc:
        add_service_error(form, exc)
        return _freeze_page(request, context, status=400)
    except KefuError as exc:
        context["error"] = exc.message
        return _freeze_page(request, context, status=exc.status)
    return _freeze_page(request, {"conversation": conversation, "outcome": outcome})


# -- The customer's emergency freeze ("I have been hacked") on the portal account page --------

EMERGENCY_FREEZE_LIMIT = 5  # POSTs per customer per window
EMERGENCY_FREEZE_WINDOW_SECONDS = 3600


@never_cache
@require_http_methods(["GET", "POST"])
@customer_required
def emergency_freeze_view(request: HttpRequest, customer: Customer) -> HttpResponse:
    """GET: the confirmation form. POST (checkbox ticked): freeze and show what happens next."""
    if request.method == "GET":
        return render(request, "exchange/emergency_freeze_page.html", {})
    try:
        ratelimit.hit(
            f"emergency-freeze:{customer.contact.pk}",
            limit=EMERGENCY_FREEZE_LIMIT,
            window_seconds=EMERGENCY_FREEZE_WINDOW_SECONDS,
        )
    except RateLimited as exc:
        return render(
            request, "exchange/emergency_freeze_page.html", {"error": str(exc)}, status=429
        )
    if request.POST.get("confirm") != "yes":
        error = _("Tick the box to confirm that you want to freeze your account.")
        return render(request, "exchange/emergency_freeze_page.html", {"error": error}, status=400)
    try:
        outcome = emergency_freeze(contact=customer.contact, actor=customer.actor)
    except AccountNotFound:
        error = _(
            "We could not find your exchange account. Contact support through the official "
            "channels."
        )
        return render(request, "exchange/emergency_freeze_page.html", {"error": error}, status=400)
    except ConnectorError:
        error = _(
            "We could not reach the exchange to freeze your account. Try again in a minute, "
            "or contact support through the official channels."
        )
        return render(request, "exchange/emergency_freeze_page.html", {"error": error}, status=503)
    except KefuError as exc:
        return render(
            request, "exchange/emergency_freeze_page.html", {"error": str(exc)}, status=400
        )
    return render(request, "exchange/emergency_freeze_done.html", {"outcome": outcome})
