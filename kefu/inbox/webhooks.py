"""The public webhook every channel's provider POSTs to: verify, store, answer at once.

Authentication is the adapter's (Telegram: the secret token header, compared in constant
time), so the view is CSRF-exempt and open to anonymous requests. Nothing is stored for a
request that fails verification. Processing happens in the worker (kefu.inbox.inbound).
A GET is answered only by adapters with a ``handshake`` (Meta's verify-token check).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kefu.inbox import inbound
from kefu.inbox.adapters import get_adapter
from kefu.inbox.adapters.base import SupportsHandshake

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, kind: str) -> HttpResponse:
    adapter = get_adapter(kind)
    if request.method == "GET" and not isinstance(adapter, SupportsHandshake):
        return HttpResponseNotAllowed(["POST"])
    if adapter is None or not adapter.is_configured():
        return JsonResponse({"ok": False, "error": "not_found"}, status=404)
    if isinstance(adapter, SupportsHandshake) and request.method == "GET":
        answer = adapter.handshake({k: request.GET.get(k, "") for k in request.GET})
        if answer is None:
            log.info("%s webhook: handshake refused", kind)
            return HttpResponse("forbidden", status=403, content_type="text/plain")
        return HttpResponse(answer, content_type="text/plain")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return JsonResponse({"ok": False, "error": "too_large"}, status=413)
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = request.body
    if not adapter.verify(headers, body):
        log.info("%s webhook: request failed verification", kind)
        return JsonResponse({"ok": False, "error": "forbidden"}, status=403)
    try:
        event_id = adapter.event_id(body)
    except ValueError as exc:
        # The adapter's reason names the field at fault (never a secret), so the sender can fix it.
        return JsonResponse(
            {"ok": False, "error": "bad_request", "detail": str(exc)[:300]}, status=400
        )
    inbound.inbound_store(
        adapter=adapter,
        event_id=event_id,
        payload=body,
        content_type=request.content_type or "",
        headers=headers,
    )
    return JsonResponse({"ok": True})
