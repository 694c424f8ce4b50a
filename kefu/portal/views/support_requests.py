"""A customer's requests: list, submit, read, reply, close, reopen, download attachments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import Language
from kefu.conversations.models import Channel, Conversation, Status
from kefu.conversations.selectors import (
    conversation_get_for_customer,
    conversation_list_for_customer,
    messages_for_customer,
)
from kefu.conversations.services import (
    conversation_create,
    conversation_set_status,
    message_reply,
)
from kefu.core.errors import KefuError, RateLimited, ValidationFailed
from kefu.core.forms import add_service_error
from kefu.core.pagination import paginate
from kefu.core.ratelimit import hit
from kefu.helpcenter import services as helpcenter_services
from kefu.portal.access import Customer, customer_required
from kefu.portal.forms import ReplyForm, RequestForm, current_language, read_uploads
from kefu.portal.selectors import attachment_get_for_customer
from kefu.routing.portal_views import escalation_context

PAGE_SIZE = 25
CREATE_LIMIT = 20  # new requests per customer per hour
REPLY_LIMIT = 60  # replies per customer per hour
WINDOW_SECONDS = 3600


def _rate_limited(form: RequestForm | ReplyForm, bucket: str, limit: int) -> bool:
    """Count one write; on excess put a clear error on the form and say so."""
    try:
        hit(bucket, limit=limit, window_seconds=WINDOW_SECONDS)
    except RateLimited:
        form.add_error(
            None,
            _(
                "You have sent a lot of messages in a short time. "
                "Please wait a while and try again."
            ),
        )
        return True
    return False


@require_GET
@customer_required
def request_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    qs = conversation_list_for_customer(contact=customer.contact)
    try:
        page = paginate(
            qs,
            ordering=["-last_activity_at", "-id"],
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationFailed:  # a tampered or stale cursor: start again from the top
        page = paginate(qs, ordering=["-last_activity_at", "-id"], cursor=None, limit=PAGE_SIZE)
    return render(request, "portal/request_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
@customer_required
def request_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    posted = request.method == "POST"
    form = RequestForm(request.POST, request.FILES) if posted else RequestForm()
    status = 200
    if posted and form.is_valid():
        if _rate_limited(form, f"portal-create:{customer.user.pk}", CREATE_LIMIT):
            status = 429
        else:
            data = form.cleaned_data
            try:
                conversation = conversation_create(
                    contact=customer.contact,
                    subject=data["subject"],
                    body=data["description"],
                    category=data["category"],
                    channel=Channel.WEB,
                    language=_conversation_language(customer),
                    tx_id=data["tx_id"],
                    asset=data["asset"],
                    network=data["network"],
                    attachments=read_uploads(data["attachments"]),
                    actor=customer.actor,
                )
            except KefuError as exc:
                add_service_error(form, exc)
            else:
                # Suggested articles were shown and the customer wrote in anyway: no deflection.
                for token in data["suggestion_token"]:
                    helpcenter_services.suggestion_submitted(token=token)
                messages.success(
                    request,
                    _(
                        "Your request %(reference)s has been received. We will reply here and by "
                        "email."
                    )
                    % {"reference": conversation.reference},
                )
                return redirect("portal:request_detail", pk=conversation.pk)
    return render(request, "portal/request_new.html", {"form": form}, status=status)


def _conversation_language(customer: Customer) -> str:
    """The language the customer wrote in: their saved choice, else the page's language."""
    if customer.user.language in Language.values:
        return customer.user.language
    return current_language()


def _render_detail(
    request: HttpRequest, conversation: Conversation, reply_form: ReplyForm, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "conversation": conversation,
        "messages_list": messages_for_customer(conversation),
        "reply_form": reply_form,
        "can_reply": conversation.status != Status.CLOSED,
        "can_close": conversation.status != Status.CLOSED,
        "can_reopen": conversation.status in (Status.SOLVED, Status.CLOSED),
        "escalation": escalation_context(conversation),
    }
    return render(request, "portal/request_detail.html", context, status=status)


@require_GET
@customer_required
def request_detail(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    conversation = conversation_get_for_customer(contact=customer.contact, pk=pk)
    return _render_detail(request, conversation, ReplyForm())


@require_POST
@customer_required
def request_reply(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    conversation = conversation_get_for_customer(contact=customer.contact, pk=pk)
    form = ReplyForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        if _rate_limited(form, f"portal-reply:{customer.user.pk}", REPLY_LIMIT):
            status = 429
        else:
            try:
                message_reply(
                    conversation=conversation,
                    body=form.cleaned_data["body"],
                    attachments=read_uploads(form.cleaned_data["attachments"]),
                    channel=Channel.WEB,
                    actor=customer.actor,
                )
            except KefuError as exc:
                add_service_error(form, exc)
                conversation.refresh_from_db()
            else:
                messages.success(request, _("Your reply has been sent."))
                return redirect("portal:request_detail", pk=conversation.pk)
    return _render_detail(request, conversation, form, status=status)


def _set_status(
    request: HttpRequest, customer: Customer, pk: int, status: str, done: str
) -> HttpResponse:
    conversation = conversation_get_for_customer(contact=customer.contact, pk=pk)
    try:
        conversation_set_status(conversation=conversation, status=status, actor=customer.actor)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("portal:request_detail", pk=conversation.pk)


@require_POST
@customer_required
def request_close(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    return _set_status(request, customer, pk, Status.CLOSED, _("Your request has been closed."))


@require_POST
@customer_required
def request_reopen(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    return _set_status(request, customer, pk, Status.OPEN, _("Your request has been reopened."))


@require_GET
@customer_required
def attachment_download(
    request: HttpRequest, customer: Customer, pk: int, attachment_pk: int
) -> FileResponse:
    attachment = attachment_get_for_customer(
        contact=customer.contact, conversation_pk=pk, pk=attachment_pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
