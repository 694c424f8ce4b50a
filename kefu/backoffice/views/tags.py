"""Tags: list with usage counts, create, rename, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import TagForm
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.conversations import services
from kefu.conversations.models import Tag


@login_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    tags = selectors.tag_list(viewer=me)
    return render(request, "backoffice/tag_list.html", page_context(me, "tags", tags=tags))


def _tag_form(request: HttpRequest, tag: Tag | None) -> HttpResponse:
    me = manager_or_404(request)
    form = bind_form(request, TagForm, {"name": tag.name} if tag is not None else None)

    def save(data: dict[str, Any]) -> str:
        saved = services.tag_save(tag=tag, name=data["name"], actor=actor_for(request, me))
        return _("Tag “%(name)s” saved.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:tag_list",
        template="backoffice/tag_form.html",
        context=page_context(me, "tags", form=form, tag=tag),
    )


@login_required
@require_http_methods(["GET", "POST"])
def tag_create(request: HttpRequest) -> HttpResponse:
    return _tag_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tag = selectors.tag_get(viewer=manager_or_404(request), pk=pk)
    return _tag_form(request, tag)


@login_required
@require_POST
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    tag = selectors.tag_get(viewer=me, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.tag_delete(tag=tag, actor=actor_for(request, me)),
        success=_("Tag “%(name)s” deleted.") % {"name": tag.name},
        to="backoffice:tag_list",
    )
