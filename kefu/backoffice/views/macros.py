"""Macros (canned replies in English and Chinese): list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import PLACEHOLDER_HELP, MacroForm
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.conversations import services
from kefu.conversations.macros import PLACEHOLDERS
from kefu.conversations.models import Macro


@login_required
@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    macros = selectors.macro_list(viewer=me)
    return render(request, "backoffice/macro_list.html", page_context(me, "macros", macros=macros))


def _placeholders() -> list[tuple[str, str]]:
    # Built here rather than in the template, where "{{" would start a variable.
    return [("{{ " + name + " }}", str(PLACEHOLDER_HELP.get(name, ""))) for name in PLACEHOLDERS]


def _macro_form(request: HttpRequest, macro: Macro | None) -> HttpResponse:
    me = manager_or_404(request)
    initial = None
    if macro is not None:
        initial = {
            "name": macro.name,
            "body_en": macro.body_en,
            "body_zh": macro.body_zh,
            "set_status": macro.set_status,
            "set_priority": macro.set_priority,
            "set_team": macro.set_team,
            "add_tags": list(macro.add_tags.all()),
            "assign": macro.assign,
        }
    form = bind_form(request, MacroForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.macro_save(
            macro=macro,
            name=data["name"],
            body_en=data["body_en"],
            body_zh=data["body_zh"],
            set_status=data.get("set_status") or "",
            set_priority=data.get("set_priority"),
            set_team=data.get("set_team"),
            add_tags=data.get("add_tags") or (),
            assign=data.get("assign") or "",
            actor=actor_for(request, me),
        )
        return _("Macro “%(name)s” saved.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:macro_list",
        template="backoffice/macro_form.html",
        context=page_context(me, "macros", form=form, macro=macro, placeholders=_placeholders()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def macro_create(request: HttpRequest) -> HttpResponse:
    return _macro_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    macro = selectors.macro_get(viewer=manager_or_404(request), pk=pk)
    return _macro_form(request, macro)


@login_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    macro = selectors.macro_get(viewer=me, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.macro_delete(macro=macro, actor=actor_for(request, me)),
        success=_("Macro “%(name)s” deleted.") % {"name": macro.name},
        to="backoffice:macro_list",
    )
