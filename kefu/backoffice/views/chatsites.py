"""Chat sites (admins only): list, create, edit, the embed snippet, and the identity secret.

The identity secret is shown only in the response to a POST (show or rotate), each audited;
like an API key's secret it is never put in a flash message and the page is ``no-store``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, chat_site_manager_or_404
from kefu.backoffice.forms import ChatSiteForm
from kefu.backoffice.views.common import bind_form, page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.inbox import sites
from kefu.inbox.models import ChatSite


def embed_snippet(site: ChatSite) -> str:
    """The HTML an exchange pastes into its pages to show the widget."""
    base = settings.KEFU_PUBLIC_URL.rstrip("/")
    return f'<script src="{base}/static/kefu/widget.js" data-site="{site.key}" async></script>'


@login_required
@require_GET
def chat_site_list(request: HttpRequest) -> HttpResponse:
    me = chat_site_manager_or_404(request)
    chat_sites = selectors.chat_site_list(viewer=me)
    return render(
        request,
        "backoffice/chatsite_list.html",
        page_context(me, "chat_sites", chat_sites=chat_sites),
    )


def _chat_site_form(request: HttpRequest, site: ChatSite | None) -> HttpResponse:
    me = chat_site_manager_or_404(request)
    initial = None
    if site is not None:
        initial = {
            "name": site.name,
            "allowed_origins": "\n".join(site.allowed_origins or []),
            "team": site.team,
            "greeting_en": site.greeting_en,
            "greeting_zh": site.greeting_zh,
            "identity_required": site.identity_required,
            "is_active": site.is_active,
            "assistant_first": site.assistant_first,
        }
    form = bind_form(request, ChatSiteForm, initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            saved = sites.chat_site_save(
                site=site,
                name=data["name"],
                allowed_origins=data["allowed_origins"],
                identity_required=data["identity_required"],
                team=data["team"],
                greeting_en=data["greeting_en"],
                greeting_zh=data["greeting_zh"],
                is_active=data["is_active"],
                assistant_first=data["assistant_first"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Chat site “%(name)s” saved.") % {"name": saved.name})
            # To the site's page, where the embed snippet is.
            return redirect("backoffice:chat_site_edit", pk=saved.pk)
    return render(
        request,
        "backoffice/chatsite_form.html",
        page_context(
            me,
            "chat_sites",
            form=form,
            site=site,
            snippet=embed_snippet(site) if site is not None else "",
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def chat_site_create(request: HttpRequest) -> HttpResponse:
    return _chat_site_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def chat_site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = selectors.chat_site_get(viewer=chat_site_manager_or_404(request), pk=pk)
    return _chat_site_form(request, site)


def _secret_page(request: HttpRequest, site: ChatSite, *, rotate: bool) -> HttpResponse:
    me = chat_site_manager_or_404(request)
    actor = actor_for(request, me)
    try:
        if rotate:
            secret = sites.chat_site_rotate_secret(site=site, actor=actor)
        else:
            secret = sites.chat_site_reveal_secret(site=site, actor=actor)
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:chat_site_edit", pk=site.pk)
    return render(
        request,
        "backoffice/chatsite_secret.html",
        page_context(me, "chat_sites", site=site, secret=secret, rotated=rotate),
    )


@login_required
@never_cache
@require_POST
def chat_site_secret(request: HttpRequest, pk: int) -> HttpResponse:
    site = selectors.chat_site_get(viewer=chat_site_manager_or_404(request), pk=pk)
    return _secret_page(request, site, rotate=False)


@login_required
@never_cache
@require_POST
def chat_site_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    site = selectors.chat_site_get(viewer=chat_site_manager_or_404(request), pk=pk)
    return _secret_page(request, site, rotate=True)
