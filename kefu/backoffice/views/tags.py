"""Tags: list with usage counts, create, rename, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import TagForm
from kefu.backoffice.views.common import page_context
from kefu.conversations import services
from kefu.conversations.models import Tag
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


@login_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    tags = selectors.tag_list(viewer=me)
    return render(request, "backoffice/tag_list.html", page_context(me, "tags", tags=tags))


def _tag_form(request: HttpRequest, tag: Tag | None) -> HttpResponse:
    me = manager_or_404(request)
    if request.method == "POST":
        form = TagForm(request.POST)
    else:
        form = TagForm(initial={"name": tag.name} if tag is not None else None)
    if form.is_bound and form.is_valid():
        try:
            saved = services.tag_save(
                tag=tag, name=form.cleaned_data["name"], actor=actor_for(request, me)
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Tag “%(name)s” saved.") % {"name": saved.name})
            return redirect("backoffice:tag_list")
    return render(request, "backoffice/tag_form.html", page_context(me, "tags", form=form, tag=tag))


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
    name = tag.name
    try:
        services.tag_delete(tag=tag, actor=actor_for(request, me))
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag “%(name)s” deleted.") % {"name": name})
    return redirect("backoffice:tag_list")
