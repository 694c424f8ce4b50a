"""The staff side of the forum, in the agent workspace under /agent/community/: the
moderation queue, moderation actions, member sanctions, boards, private help and promoting an
accepted answer to a draft article."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.community import permissions, selectors, services
from kefu.community.models import Board, Report, ReportState
from kefu.core.errors import KefuError, NotFound
from kefu.helpcenter.models import Section
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


def _moderator(request: HttpRequest) -> User:
    user = current_agent(request)
    if not permissions.can_moderate(user):
        raise Http404
    return user


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def _act(request: HttpRequest, action: Callable[[], object], success: str) -> HttpResponse:
    """Run a moderation ``action`` (selector + service): a post or thread the moderator cannot
    see is a 404, a refusal is flashed, and the moderator goes back where they came from."""
    try:
        action()
    except NotFound as exc:
        raise Http404 from exc
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(request, reverse("community_staff:queue"))


@never_cache
@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _moderator(request)
    context = {
        **page_context(request, "community"),
        "queue": selectors.moderation_queue(viewer=user),
        "can_sanction": permissions.can_sanction(user),
        "boards": Board.objects.order_by("language", "position", "id"),
    }
    return TemplateResponse(request, "community/staff/queue.html", context)


@require_POST
@agent_required
def moderate_post(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)

    def action() -> None:
        services.post_moderate(
            post=selectors.staff_post_get(viewer=user, pk=pk),
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            actor=current_actor(request),
        )

    return _act(request, action, _("Done."))


@require_POST
@agent_required
def moderate_thread(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    board_pk = request.POST.get("board", "")

    def action() -> None:
        services.thread_moderate(
            thread=selectors.staff_thread_get(viewer=user, pk=pk),
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            board=Board.objects.filter(pk=int(board_pk)).first() if board_pk.isdigit() else None,
            actor=current_actor(request),
        )

    return _act(request, action, _("Done."))


@require_POST
@agent_required
def report_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator(request)
    report = Report.objects.filter(pk=pk, state=ReportState.OPEN).first()
    if report is None:
        raise Http404
    try:
        services.report_dismiss(
            report=report, reason=request.POST.get("reason", ""), actor=current_actor(request)
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    return redirect("community_staff:queue")


@require_POST
@agent_required
def sanction(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    if not permissions.can_sanction(user):
        raise Http404
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise Http404
    days = request.POST.get("days", "7")
    return _act(
        request,
        lambda: services.member_sanction(
            user=member,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            days=int(days) if days.isdigit() else 0,
            actor=current_actor(request),
        ),
        _("Done."),
    )


@require_POST
@agent_required
def offer_private(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    try:
        thread = selectors.staff_thread_get(viewer=user, pk=pk)
        services.thread_offer_private_help(thread=thread, actor=current_actor(request))
    except NotFound as exc:
        raise Http404 from exc
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The asker has been offered private help."))
    return HttpResponseRedirect(
        reverse("community:thread", args=[thread.board.language, thread.pk])
    )


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    if not permissions.can_promote(user):
        raise Http404
    try:
        thread = selectors.staff_thread_get(viewer=user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    sections = Section.objects.select_related("category").order_by(
        "category__position", "position", "id"
    )
    error = ""
    if request.method == "POST":
        section = sections.filter(pk=int(request.POST.get("section") or 0)).first()
        if section is None:
            error = _("Choose a section.")
        else:
            try:
                translation = services.answer_promote(
                    thread=thread,
                    section=section,
                    slug=request.POST.get("slug", ""),
                    actor=current_actor(request),
                )
            except KefuError as exc:
                error = exc.message
            else:
                messages.success(request, _("A draft article was created from the answer."))
                return redirect("workspace:kb_article", slug=translation.article.slug)
    context = {
        **page_context(request, "community"),
        "thread": thread,
        "sections": sections,
        "error": error,
        "slug": request.POST.get("slug", "") or f"community-{thread.pk}",
    }
    return TemplateResponse(
        request, "community/staff/promote.html", context, status=422 if error else 200
    )


@require_POST
@agent_required
def board_save(request: HttpRequest) -> HttpResponse:
    if not permissions.can_sanction(_moderator(request)):
        raise Http404
    try:
        services.board_save(
            slug=request.POST.get("slug", ""),
            language=request.POST.get("language", ""),
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            position=int(request.POST.get("position") or 0)
            if (request.POST.get("position") or "0").isdigit()
            else 0,
            is_active=request.POST.get("is_active", "1") == "1",
            actor=current_actor(request),
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Board saved."))
    return redirect("community_staff:queue")
