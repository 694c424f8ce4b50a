"""Transcript pages: the public verify page and public key, and the two downloads.

The customer's download is routed from the portal (``/requests/<pk>/transcript.<fmt>``), the
agent's from the workspace (``/agent/c/<pk>/transcript.<fmt>?copy=customer|internal``); both go
through the conversation selectors and ``transcript_export``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.contacts.selectors import contact_for_user
from kefu.conversations.models import Conversation
from kefu.conversations.selectors import conversation_get_for_agent, conversation_get_for_customer
from kefu.core import ratelimit
from kefu.core.actor import Actor
from kefu.core.errors import RateLimited
from kefu.transcripts.build import Audience
from kefu.transcripts.forms import VerifyForm
from kefu.transcripts.keys import retired_keys, signing_key
from kefu.transcripts.services import AUDIENCES, FORMATS, ExportedTranscript, transcript_export
from kefu.transcripts.verify import Reason, VerifyResult, verify_bytes

# Per client IP: plenty for people checking their own files, too few to use the page as an
# oracle at scale.
VERIFY_LIMIT = 30
VERIFY_WINDOW_SECONDS = 600
# Per user: PDFs cost CPU; nobody needs more than this many copies in ten minutes.
EXPORT_LIMIT = 30
EXPORT_WINDOW_SECONDS = 600


# --- public: verify and the published key ---------------------------------------------------


def _verdict(result: VerifyResult) -> str:
    key_id = result.key_id or ""
    texts = {
        Reason.OK: _("Authentic and unaltered: this file was signed by us with our current key."),
        Reason.RETIRED_KEY: _(
            "Authentic and unaltered: this file was signed by us with a retired key (%(key_id)s) "
            "that no longer signs new transcripts."
        )
        % {"key_id": key_id},
        Reason.UNKNOWN_KEY: _(
            "Not verified: the file names a signing key we do not know (%(key_id)s)."
        )
        % {"key_id": key_id},
        Reason.BAD_SIGNATURE: _(
            "Not authentic: the content was changed after it was signed, or the signature "
            "is not ours."
        ),
        Reason.MALFORMED: _(
            "Not authentic: the file is damaged or was edited after it was signed "
            "(for example, data was added to it)."
        ),
        Reason.NOT_A_TRANSCRIPT: _("This is not a signed transcript from this service."),
        Reason.TOO_LARGE: _("The file is too large to be one of our transcripts."),
    }
    return texts[result.reason]


def _key_context() -> dict[str, Any]:
    return {"key_id": signing_key().key_id, "retired": retired_keys()}


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a transcript file and see whether it is authentic and unaltered."""
    context: dict[str, Any] = _key_context()
    status = 200
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        try:
            ratelimit.hit(
                f"transcript-verify:{ratelimit.client_ip(request.META)}",
                limit=VERIFY_LIMIT,
                window_seconds=VERIFY_WINDOW_SECONDS,
            )
        except RateLimited as exc:
            form.is_valid()
            form.add_error(None, exc.message)
            status = 429
        else:
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read(int(upload.size or 0) + 1)
                result = verify_bytes(data)
                context.update(
                    result=result,
                    verdict=_verdict(result),
                    filename=upload.name,
                    file_sha256=hashlib.sha256(data).hexdigest(),
                    file_size=len(data),
                )
            else:
                status = 400
    else:
        form = VerifyForm()
    context["form"] = form
    return render(request, "transcripts/verify.html", context, status=status)


@require_GET
def public_key_pem(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        signing_key().public.pem, content_type="application/x-pem-file; charset=us-ascii"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def public_key_json(request: HttpRequest) -> JsonResponse:
    current = signing_key().public
    response = JsonResponse(
        {
            "alg": "Ed25519",
            "key_id": current.key_id,
            "public_key_pem": current.pem,
            "public_key_raw_base64": current.raw_b64,
            "retired": [
                {
                    "key_id": key.key_id,
                    "public_key_pem": key.pem,
                    "public_key_raw_base64": key.raw_b64,
                }
                for key in retired_keys()
            ],
        }
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- downloads ------------------------------------------------------------------------------


def _download(exported: ExportedTranscript) -> HttpResponse:
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _export(
    request: HttpRequest, conversation: Conversation, audience: Audience, fmt: str, actor: Actor
) -> HttpResponse:
    ratelimit.hit(
        f"transcript-export:{actor.ref}", limit=EXPORT_LIMIT, window_seconds=EXPORT_WINDOW_SECONDS
    )
    exported = transcript_export(
        conversation=conversation, audience=audience.value, fmt=fmt, actor=actor
    )
    return _download(exported)


@require_GET
def customer_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The signed customer copy of one of the signed-in customer's own requests."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if fmt not in FORMATS or not isinstance(user, User) or not user.is_customer:
        raise Http404
    contact = contact_for_user(user)
    conversation = conversation_get_for_customer(contact=contact, pk=pk)
    actor = actor_for_user(user, ip=ratelimit.client_ip(request.META))
    return _export(request, conversation, Audience.CUSTOMER, fmt, actor)


@require_GET
def agent_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A signed copy of a conversation the agent may open: as the customer sees it
    (``?copy=customer``, the default) or with internal notes (``?copy=internal``)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    copy = request.GET.get("copy", Audience.CUSTOMER.value)
    if (
        fmt not in FORMATS
        or copy not in AUDIENCES
        or not isinstance(user, User)
        or not user.is_agent
    ):
        raise Http404
    conversation = conversation_get_for_agent(user=user, pk=pk)
    actor = actor_for_user(user, ip=ratelimit.client_ip(request.META))
    return _export(request, conversation, Audience(copy), fmt, actor)
