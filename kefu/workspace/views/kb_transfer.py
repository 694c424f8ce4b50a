"""Download the whole knowledge base as a zip of Markdown files, or upload one (editors only).
The same format as ``kefu kb export`` / ``kefu kb import`` (kefu/helpcenter/transfer.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.core.errors import KefuError, PermissionDenied
from kefu.helpcenter.transfer import ZIP_MAX_BYTES, kb_export_zip, kb_import_zip
from kefu.workspace.access import agent_required, current_actor, current_agent
from kefu.workspace.views.kb import kb_context


def _require_editor(request: HttpRequest) -> None:
    if not permissions.can_publish_kb(current_agent(request)):
        raise PermissionDenied(_("You do not have permission to do that."))


@require_GET
@agent_required
def kb_transfer(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    return TemplateResponse(
        request,
        "workspace/kb_transfer.html",
        kb_context(request, "transfer", max_mb=ZIP_MAX_BYTES // 2**20),
    )


@require_GET
@agent_required
def kb_export(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    data = kb_export_zip(actor=current_actor(request))
    name = f"knowledge-base-{timezone.now():%Y%m%d-%H%M}.zip"
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@agent_required
def kb_import(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a zip file to import."))
        return redirect("workspace:kb_transfer")
    if upload.size is not None and upload.size > ZIP_MAX_BYTES:
        messages.error(request, _("The file is too large."))
        return redirect("workspace:kb_transfer")
    try:
        report = kb_import_zip(
            data=upload.read(),
            actor=current_actor(request),
            publish=request.POST.get("publish") == "1",
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:kb_transfer")
    messages.success(
        request,
        _(
            "Imported: %(new)d new articles, %(revisions)d new revisions, %(same)d unchanged, "
            "%(published)d published."
        )
        % {
            "new": report.articles_created,
            "revisions": report.revisions,
            "same": report.unchanged,
            "published": report.published,
        },
    )
    return redirect("workspace:kb_transfer")
