"""Public status pages: the status page, one entry, the Atom feed, and the email
subscription (subscribe, confirm, unsubscribe)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.core import ratelimit
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, RateLimited, ValidationFailed
from kefu.helpcenter.languages import best_language
from kefu.helpcenter.views.common import help_page, render_help
from kefu.status import selectors, services, tokens
from kefu.status.models import StatusSubscriber

# Per client IP: enough for a household or an office behind one address, too few to use the
# form to send confirmation emails to a list of strangers.
SUBSCRIBE_LIMIT = 10
SUBSCRIBE_WINDOW_SECONDS = 600


def _visitor(request: HttpRequest) -> Actor:
    """The actor for an anonymous visitor's subscription request."""
    return Actor(
        kind=ActorKind.CUSTOMER,
        label="status page visitor",
        ip=ratelimit.client_ip(request.META),
    )


def _page_path(code: str) -> str:
    return reverse("status:page", args=[code])


def _status_page(
    request: HttpRequest,
    lang: str,
    *,
    email: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    overview = selectors.public_incidents(lang)
    return render_help(
        request,
        lang,
        "status/page.html",
        {
            "overview": overview,
            "history_days": selectors.HISTORY_DAYS,
            "subscribe_email": email,
            "subscribe_errors": errors or [],
            "subscribed": request.method == "GET" and request.GET.get("subscribed") == "1",
        },
        path_for=_page_path,
        title=_("Service status"),
        description=overview.label,
        status=status,
    )


@require_GET
@help_page
def page(request: HttpRequest, lang: str) -> HttpResponse:
    return _status_page(request, lang)


@require_GET
@help_page
def incident(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    entry = selectors.incident_get_public(pk=pk, language=lang)
    latest = entry.updates[0] if entry.updates else None
    summary = Truncator(unescape(strip_tags(latest.body_html))).chars(200) if latest else ""
    return render_help(
        request,
        lang,
        "status/incident.html",
        {"incident": entry},
        path_for=lambda code: reverse("status:incident", args=[code, pk]),
        title=entry.title,
        description=summary,
        og_type="article",
    )


_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """Drop the control characters XML 1.0 cannot carry (updates written before bodies refused
    them would otherwise break the whole feed)."""
    return _XML_UNSAFE.sub("", text)


@require_GET
@help_page
def feed(request: HttpRequest, lang: str) -> HttpResponse:
    """One Atom entry per public update, newest first, in the URL's language."""
    page_url = request.build_absolute_uri(_page_path(lang))
    atom = Atom1Feed(
        title=_("Service status"),
        link=page_url,
        description=_("Incidents, maintenance and announcements"),
        language=lang,
        feed_url=request.build_absolute_uri(request.path),
    )
    for entry in selectors.public_feed_entries(lang):
        link = request.build_absolute_uri(entry.url) + f"#update-{entry.update_pk}"
        atom.add_item(
            title=_("%(title)s: %(state)s") % {"title": entry.title, "state": entry.state_label},
            link=link,
            description=_xml_safe(str(entry.body_html)),
            unique_id=link,
            pubdate=entry.created_at,
            updateddate=entry.created_at,
            categories=[entry.kind_label],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response


@require_POST
@help_page
def subscribe(request: HttpRequest, lang: str) -> HttpResponse:
    """Ask for status emails (double opt-in). The answer is the same whether or not the
    address was already subscribed."""
    email = request.POST.get("email", "")
    try:
        ratelimit.hit(
            f"status-subscribe:{ratelimit.client_ip(request.META)}",
            limit=SUBSCRIBE_LIMIT,
            window_seconds=SUBSCRIBE_WINDOW_SECONDS,
        )
        services.subscriber_subscribe(email=email, language=lang, actor=_visitor(request))
    except RateLimited as exc:
        return _status_page(request, lang, email=email[:254], errors=[exc.message], status=429)
    except ValidationFailed as exc:
        errors = exc.fields.get("email") or [exc.message]
        return _status_page(request, lang, email=email[:254], errors=errors, status=400)
    return HttpResponseRedirect(_page_path(lang) + "?subscribed=1#subscribe")


# --- links from the emails (no language in the URL: the subscriber's own is used) -----------


def _link_page(
    request: HttpRequest, subscriber: StatusSubscriber | None, context: dict[str, Any]
) -> HttpResponse:
    chosen = subscriber.language if subscriber else getattr(request, "LANGUAGE_CODE", None)
    lang = best_language(chosen)
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        if subscriber is None:
            context = {
                "state": "invalid",
                "heading": _("This link is not valid any more"),
                "message": _(
                    "It may have been used already, or the address may have unsubscribed. "
                    "You can subscribe again on the status page."
                ),
            }
        response = render_help(
            request,
            lang,
            "status/link.html",
            context,
            path_for=lambda code: None,
            title=str(context["heading"]),
            status=404 if subscriber is None else 200,
        )
    response.headers["Content-Language"] = lang
    return response


def _subscriber(token: str, purpose: str) -> StatusSubscriber | None:
    try:
        return tokens.subscriber_by_token(token, purpose)
    except NotFound:
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (so that mail scanners opening the link confirm nothing); POST confirms."""
    subscriber = _subscriber(token, tokens.CONFIRM)
    if subscriber is None:
        return _link_page(request, None, {})
    with translation.override(best_language(subscriber.language)):
        if request.method == "POST" or subscriber.confirmed_at is not None:
            if subscriber.confirmed_at is None:
                services.subscriber_confirm(token=token, actor=_visitor(request))
            context = {
                "state": "done",
                "heading": _("Subscription confirmed"),
                "message": _(
                    "We will email you about incidents, maintenance and announcements. "
                    "Every email has a link to unsubscribe."
                ),
            }
        else:
            context = {
                "state": "ask",
                "heading": _("Confirm your subscription"),
                "message": _("Get service status updates by email at %(email)s?")
                % {"email": subscriber.email},
                "button": _("Confirm subscription"),
            }
    return _link_page(request, subscriber, context)


@csrf_exempt  # the token is the credential; mail providers' one-click POST (RFC 8058) has none
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (so that mail scanners opening the link unsubscribe nobody); POST, from the
    button or a mail provider's one-click ``List-Unsubscribe=One-Click``, unsubscribes."""
    subscriber = _subscriber(token, tokens.UNSUBSCRIBE)
    if subscriber is None:
        return _link_page(request, None, {})
    with translation.override(best_language(subscriber.language)):
        if request.method == "POST":
            services.subscriber_unsubscribe(token=token, actor=_visitor(request))
            context = {
                "state": "done",
                "heading": _("You are unsubscribed"),
                "message": _("We will not email %(email)s about the service status any more.")
                % {"email": subscriber.email},
            }
        else:
            context = {
                "state": "ask",
                "heading": _("Unsubscribe"),
                "message": _("Stop emailing service status updates to %(email)s?")
                % {"email": subscriber.email},
                "button": _("Unsubscribe"),
            }
    return _link_page(request, subscriber, context)
