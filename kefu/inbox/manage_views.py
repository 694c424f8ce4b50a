"""The backoffice's inbound pages (admins only): failed channel events, recent ones, Replay;
and the email mailboxes Kefu polls over IMAP (list, add, edit, delete, poll now).

Mounted at /agent/manage/inbound/ by kefu.backoffice.urls; it follows the backoffice's house
style and helpers (layout, section nav, flash messages)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.core.errors import NotFound
from kefu.inbox import inbound, mailboxes, selectors
from kefu.inbox.manage_forms import MailboxForm
from kefu.inbox.models import EmailMailbox

SECTION = "inbound"
LIST_URL = "backoffice:inbound:list"


@login_required
@require_GET
def inbound_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    context = page_context(
        me,
        SECTION,
        failed=selectors.inbound_failed_list(viewer=me),
        recent=selectors.inbound_recent_list(viewer=me),
    )
    return render(request, "inbox/manage_inbound.html", context)


@login_required
@require_POST
def inbound_replay(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    try:
        event = selectors.inbound_event_get(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    return act_and_redirect(
        request,
        lambda: inbound.inbound_replay(event=event, actor=actor_for(request, me)),
        success=_("Event %(id)s was queued again.") % {"id": event.pk},
        to=LIST_URL,
    )


# --- email mailboxes polled over IMAP (/agent/manage/inbound/mailboxes/) --------------------

MAILBOX_SECTION = "mailboxes"
MAILBOX_LIST_URL = "backoffice:inbound:mailboxes"
MAILBOX_FIELDS = (
    "address",
    "host",
    "port",
    "security",
    "username",
    "folder",
    "after",
    "processed_folder",
    "poll_interval_seconds",
    "enabled",
)


def _mailbox(me: User, pk: int) -> EmailMailbox:
    try:
        return selectors.mailbox_get(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    context = page_context(me, MAILBOX_SECTION, mailboxes=selectors.mailbox_list(viewer=me))
    return render(request, "inbox/manage_mailboxes.html", context)


def _mailbox_form(request: HttpRequest, mailbox: EmailMailbox | None) -> HttpResponse:
    me = api_key_manager_or_404(request)
    initial: dict[str, Any] | None = None
    if mailbox is not None:
        initial = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS}
    form = bind_form(request, MailboxForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = mailboxes.mailbox_save(
            mailbox=mailbox,
            **{name: data[name] for name in MAILBOX_FIELDS},
            password=data["password"],
            actor=actor_for(request, me),
        )
        return _("Mailbox %(address)s saved.") % {"address": saved.address}

    return form_page(
        request,
        form,
        save,
        success_url=MAILBOX_LIST_URL,
        template="inbox/manage_mailbox_form.html",
        context=page_context(me, MAILBOX_SECTION, form=form, mailbox=mailbox),
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_create(request: HttpRequest) -> HttpResponse:
    return _mailbox_form(request, None)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _mailbox_form(request, _mailbox(api_key_manager_or_404(request), pk))


@login_required
@require_POST
def mailbox_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    mailbox = _mailbox(me, pk)
    return act_and_redirect(
        request,
        lambda: mailboxes.mailbox_delete(mailbox=mailbox, actor=actor_for(request, me)),
        success=_("Mailbox %(address)s deleted.") % {"address": mailbox.address},
        to=MAILBOX_LIST_URL,
    )


@login_required
@require_POST
def mailbox_poll(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    mailbox = _mailbox(me, pk)
    return act_and_redirect(
        request,
        lambda: mailboxes.mailbox_poll_request(mailbox=mailbox, actor=actor_for(request, me)),
        success=_("Mailbox %(address)s will be polled in a moment.") % {"address": mailbox.address},
        to=MAILBOX_LIST_URL,
    )
