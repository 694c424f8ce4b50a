"""HTTP side of live chat: public site config, the long-poll fallback, uploads, signed
attachment links and the demo host page. Same session code and guarantees as the socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment
from kefu.core import ratelimit
from kefu.core.errors import KefuError, RateLimited
from kefu.helpcenter.languages import best_language
from kefu.inbox.adapters.webchat import protocol, services
from kefu.inbox.adapters.webchat.identity import sign_identity_token
from kefu.inbox.adapters.webchat.session import (
    ChatSession,
    cross_site_origin,
    language_of,
    open_session,
    public_site_config,
    session_for_token,
    site_for_key,
)
from kefu.inbox.models import ChatSite
from kefu.realtime import payloads
from kefu.realtime.protocol import service_error
from kefu.realtime.publish import publish_ephemeral
from kefu.status.selectors import open_banner_cached

POLL_SECONDS = 25.0
POLL_STEP_SECONDS = 1.0
MAX_UPLOAD_FILES = 5
HTTP_FRAMES_PER_MINUTE = 300


def _origin(request: HttpRequest) -> str | None:
    """The caller's Origin when it is another site's; Kefu's own pages need no allow-list."""
    return cross_site_origin(request.headers.get("Origin"), request.get_host())


def _cors(
    response: HttpResponseBase, request: HttpRequest, site: ChatSite | None
) -> HttpResponseBase:
    """Let the host page's scripts read the answer when the site allows that origin."""
    origin = request.headers.get("Origin")
    if origin and (site is None or site.allows_origin(_origin(request))):
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
    return response


def _error(
    request: HttpRequest, exc: protocol.ProtocolError, site: ChatSite | None
) -> HttpResponseBase:
    status = {
        "unauthorized": 401,
        "forbidden": 403,
        "not_found": 404,
        "rate_limited": 429,
        "too_large": 413,
        "storage_unavailable": 503,
    }.get(exc.code, 400)
    response = JsonResponse(exc.frame(), status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return _cors(response, request, site)


def _preflight(request: HttpRequest) -> HttpResponseBase:
    return _cors(HttpResponse(status=204), request, None)


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "visitor" else ""


def _authenticated(request: HttpRequest) -> ChatSession:
    session = session_for_token(_token(request))
    if not session.site.allows_origin(_origin(request)):
        raise protocol.ProtocolError(
            "forbidden", "origin not allowed", close=protocol.CLOSE_FORBIDDEN
        )
    try:
        ratelimit.hit(
            f"chat-http:{session.visitor.pk}", limit=HTTP_FRAMES_PER_MINUTE, window_seconds=60
        )
    except RateLimited as exc:
        raise protocol.ProtocolError("rate_limited", exc.message) from None
    return session


def _endpoint(
    handler: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """CSRF-exempt (no cookies: the visitor token travels in a header), CORS and error frames."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "OPTIONS":
            return _preflight(request)
        try:
            return handler(request, *args, **kwargs)
        except protocol.ProtocolError as exc:
            return _error(request, exc, None)

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


@require_http_methods(["GET", "OPTIONS"])
@_endpoint
def site_config(request: HttpRequest, key: str) -> HttpResponseBase:
    """The widget's first screen: strings, service hours, expected wait, official contacts,
    open incidents."""
    site = site_for_key(key)
    if site is None:
        raise Http404
    language = request.GET.get("lang", "en")
    config = public_site_config(site, language)
    # Open incidents and maintenance, linked absolutely: the widget runs on the exchange's site.
    config["incidents"] = open_banner_cached(
        best_language(language_of(language)), base_url=request.build_absolute_uri("/")
    )
    return _cors(JsonResponse(config), request, site)


def _json_body(request: HttpRequest) -> str:
    if len(request.body) > protocol.MAX_FRAME_BYTES:
        raise protocol.ProtocolError("too_large", "The message is too large.")
    return request.body.decode("utf-8", errors="replace")


@require_http_methods(["POST", "OPTIONS"])
@_endpoint
def hello(request: HttpRequest) -> HttpResponseBase:
    """The fallback's hello: same checks as the socket; answers the welcome frame."""
    frame = protocol.parse(_json_body(request))
    if not isinstance(frame, protocol.Hello):
        raise protocol.ProtocolError("hello_required", "Say hello first.")
    session = open_session(frame, origin=_origin(request))
    conversation_id = session.current_conversation_id(frame.conversation_id)
    last_seq = frame.last_seq if frame.conversation_id == conversation_id else None
    welcome = session.welcome(conversation_id, last_seq)
    return _cors(JsonResponse(welcome), request, session.site)


@require_http_methods(["POST", "OPTIONS"])
@_endpoint
def frames(request: HttpRequest) -> HttpResponseBase:
    """One client frame over HTTP; answers what the socket would have sent back."""
    session = _authenticated(request)
    frame = protocol.parse(_json_body(request))
    if isinstance(frame, protocol.Hello):
        raise protocol.ProtocolError("bad_frame", "Use /chat/v1/hello.")
    result = session.handle(frame)
    if result.signal is not None:
        async_to_sync(publish_ephemeral)(result.signal)
    return _cors(JsonResponse({"frames": result.frames}), request, session.site)


def _poll_once(
    session: ChatSession, conversation_id: int, after_seq: int, state: str
) -> dict[str, Any] | None:
    conversation = services.visitor_conversation(session.visitor, conversation_id)
    shaped = payloads.conversation_for_customer(conversation)
    agent = shaped["agent"]["name"] if shaped["agent"] else ""
    fingerprint = f"{shaped['status']}:{agent}:{shaped['agent_read_seq']}"
    messages = payloads.customer_messages_after(conversation_id, after_seq)
    if not messages and fingerprint == state:
        return None
    out: list[dict[str, Any]] = [
        {"type": "message.created", "conversation_id": conversation_id, "message": m}
        for m in messages
    ]
    out.append({"type": "conversation.updated", "conversation": shaped})
    return {"frames": out, "state": fingerprint}


async def poll(request: HttpRequest) -> HttpResponseBase:
    """Long-poll: wait up to 25 s for messages after ``after_seq`` or a change of state."""
    if request.method == "OPTIONS":
        return _preflight(request)
    if request.method != "GET":
        return HttpResponse(status=405)
    try:
        session = await sync_to_async(_authenticated)(request)
        try:
            conversation_id = int(request.GET.get("conversation_id", ""))
            after_seq = int(request.GET.get("after_seq", "0"))
        except ValueError:
            raise protocol.ProtocolError(
                "bad_frame", "conversation_id and after_seq must be numbers."
            ) from None
        state = request.GET.get("state", "")[:200]
        deadline = time.monotonic() + POLL_SECONDS
        await sync_to_async(services.visitor_seen)(session.visitor)
        while True:
            try:
                found = await sync_to_async(_poll_once)(session, conversation_id, after_seq, state)
            except KefuError:
                raise protocol.ProtocolError(
                    "not_found", "That conversation was not found."
                ) from None
            if found is not None:
                return _cors(JsonResponse(found), request, session.site)
            if time.monotonic() >= deadline:
                return _cors(JsonResponse({"frames": [], "state": state}), request, session.site)
            await asyncio.sleep(POLL_STEP_SECONDS)
    except protocol.ProtocolError as exc:
        return _error(request, exc, None)


poll.csrf_exempt = True  # type: ignore[attr-defined]


@require_http_methods(["POST", "OPTIONS"])
@_endpoint
def upload(request: HttpRequest) -> HttpResponseBase:
    """Send a message with attachments (images, PDF), validated like every other upload."""
    session = _authenticated(request)
    files = request.FILES.getlist("file")
    if not files or len(files) > MAX_UPLOAD_FILES:
        raise protocol.ProtocolError("bad_frame", "Attach one to five files.")
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    uploads = [UploadedFile(filename=f.name or "file", content=f.read(limit + 1)) for f in files]
    raw_id = request.POST.get("conversation_id") or ""
    try:
        conversation_id = int(raw_id) if raw_id else None
    except ValueError:
        raise protocol.ProtocolError("bad_frame", "conversation_id must be a number.") from None
    key = request.POST.get("id", "")
    try:
        message, _created = services.chat_message_send(
            visitor=session.visitor,
            key=key,
            body=request.POST.get("body", ""),
            conversation_id=conversation_id,
            attachments=uploads,
            actor=services.visitor_actor(session.visitor),
        )
    except KefuError as exc:
        raise service_error(exc, key or None) from None
    ack = session.ack(key, message.conversation_id, message.pk, created_at=message.created_at)
    return _cors(JsonResponse(ack), request, session.site)


@require_http_methods(["GET", "POST", "OPTIONS"])
@_endpoint
def escalate(request: HttpRequest) -> HttpResponseBase:
    """The visitor asks to escalate their chat (kefu.routing.escalation): GET says whether they
    may and the state of their latest request; POST {conversation_id, reason} asks."""
    import json

    from kefu.routing.escalation import escalation_request, escalation_state_for_customer

    session = _authenticated(request)
    if request.method == "POST":
        try:
            data = json.loads(_json_body(request) or "{}")
            conversation_id = int(data.get("conversation_id"))
            reason = str(data.get("reason", ""))
        except (ValueError, TypeError, AttributeError):
            raise protocol.ProtocolError("bad_frame", "conversation_id must be a number.") from None
    else:
        try:
            conversation_id = int(request.GET.get("conversation_id", ""))
        except ValueError:
            raise protocol.ProtocolError("bad_frame", "conversation_id must be a number.") from None
        reason = ""
    try:
        conversation = services.visitor_conversation(session.visitor, conversation_id)
        if request.method == "POST":
            escalation_request(
                conversation=conversation,
                reason=reason,
                source="widget",
                actor=services.visitor_actor(session.visitor),
            )
    except KefuError as exc:
        raise service_error(exc, None) from None
    state = escalation_state_for_customer(conversation)
    return _cors(JsonResponse({"type": "escalation", **state}), request, session.site)


@require_http_methods(["GET"])
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A chat attachment by its signed link (the link is the permission)."""
    if not payloads.verify_attachment_signature(pk, request.GET.get("sig", "")):
        raise Http404
    # Public replies only: a signed link never reaches a note's attachment.
    item = Attachment.objects.filter(pk=pk, message__kind="reply").first()
    if item is None:
        raise Http404
    inline = item.content_type.startswith("image/")
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.filename,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


DEMO_SITE_KEY = "demo-site"


def demo_host(request: HttpRequest) -> HttpResponse:
    """A pretend exchange's page embedding the widget (``?as=customer`` signs the demo user in)."""
    site = ChatSite.objects.filter(key=DEMO_SITE_KEY).first()
    if site is None:
        raise Http404
    token = ""
    if request.GET.get("as") == "customer":
        token = sign_identity_token(
            site, external_id="demo-uid-10001", email="customer@kefu.demo", name="Demo Customer"
        )
    lang = language_of(request.GET.get("lang") or request.LANGUAGE_CODE)
    return render(
        request,
        "inbox/demo_host.html",
        {
            "site_key": site.key,
            "widget_url": request.build_absolute_uri(static("kefu/widget.js")),
            "identity_token": token,
            "lang": lang,
            "transport": "poll" if request.GET.get("transport") == "poll" else "",
        },
    )
