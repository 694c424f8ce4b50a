"""Official contact options (shown to customers in the chat widget and portal): list, create,
edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import ContactOptionForm
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.helpcenter import services
from kefu.helpcenter.models import ContactOption

FIELDS = (
    "kind",
    "label_en",
    "label_zh",
    "value",
    "url",
    "hours_note_en",
    "hours_note_zh",
    "calendar_id",
    "language",
    "expected_response_minutes",
    "notice_en",
    "notice_zh",
    "notice_until",
    "order",
    "is_active",
)


def _label(option: ContactOption) -> str:
    """The option's label in the manager's language."""
    return option.label_zh if (get_language() or "").startswith("zh") else option.label_en


@login_required
@require_GET
def contact_option_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    options = selectors.contact_option_list(viewer=me)
    return render(
        request,
        "backoffice/contact_option_list.html",
        page_context(me, "contact_options", options=options),
    )


def _contact_option_form(request: HttpRequest, option: ContactOption | None) -> HttpResponse:
    me = manager_or_404(request)
    initial = None
    if option is not None:
        initial = {name: getattr(option, name) for name in FIELDS}
    form = bind_form(request, ContactOptionForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.contact_option_save(
            option=option, **{name: data[name] for name in FIELDS}, actor=actor_for(request, me)
        )
        return _("Contact option “%(label)s” saved.") % {"label": _label(saved)}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:contact_option_list",
        template="backoffice/contact_option_form.html",
        context=page_context(me, "contact_options", form=form, option=option),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_option_create(request: HttpRequest) -> HttpResponse:
    return _contact_option_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_option_edit(request: HttpRequest, pk: int) -> HttpResponse:
    option = selectors.contact_option_get(viewer=manager_or_404(request), pk=pk)
    return _contact_option_form(request, option)


@login_required
@require_POST
def contact_option_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    option = selectors.contact_option_get(viewer=me, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.contact_option_delete(option=option, actor=actor_for(request, me)),
        success=_("Contact option “%(label)s” deleted.") % {"label": _label(option)},
        to="backoffice:contact_option_list",
    )
