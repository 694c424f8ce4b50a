"""The public forum pages under /help/<lang>/community/: boards, threads, asking, replying,
voting, accepting, following, reporting, profiles and notifications. Thin: parse, selector,
service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.community import permissions, selectors, services
from kefu.community.forms import AskForm, ProfileForm, ReplyForm
from kefu.community.models import PostImage, Visibility
from kefu.conversations.attachments import UploadedFile
from kefu.core.actor import Actor
from kefu.core.errors import KefuError, NotFound, ValidationFailed
from kefu.core.forms import add_service_error
from kefu.core.ratelimit import client_ip
from kefu.helpcenter.views.common import help_page, render_help


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _actor(request: HttpRequest) -> Actor | None:
    user = _user(request)
    return actor_for_user(user, ip=client_ip(request.META)) if user else None


def _thread_url(lang: str, pk: int) -> str:
    return reverse("community:thread", args=[lang, pk])


def _uploads(request: HttpRequest) -> list[UploadedFile]:
    files = request.FILES.getlist("images")
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    uploads = []
    for f in files[:10]:
        if f.size is not None and f.size > limit:
            raise ValidationFailed(
                _("%(name)s is larger than %(mb)d MB.") % {"name": f.name, "mb": limit // 2**20},
                fields={"images": [_("An image is too large.")]},
            )
        uploads.append(UploadedFile(filename=f.name or "image", content=f.read()))
    if len(files) > 10:
        raise ValidationFailed(_("Too many images."), fields={"images": [_("Too many images.")]})
    return uploads


def _render(
    request: HttpRequest, lang: str, template: str, context: dict[str, Any], title: str, **kw: Any
) -> HttpResponse:
    return render_help(
        request,
        lang,
        template,
        {"unread": selectors.unread_count(user=request.user), **context},
        path_for=kw.pop("path_for", lambda code: None),
        title=title,
        **kw,
    )


@require_GET
@help_page
def index(request: HttpRequest, lang: str) -> HttpResponse:
    return _render(
        request,
        lang,
        "community/index.html",
        {"boards": selectors.boards_for_language(lang)},
        _("Community"),
        path_for=lambda code: reverse("community:index", args=[code]),
    )


@require_GET
@help_page
def board(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    try:
        found = selectors.board_get(language=lang, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    tag = request.GET.get("tag", "")[:30]
    threads = selectors.threads_for_board(board=found, viewer=request.user, tag=tag)
    return _render(
        request,
        lang,
        "community/board.html",
        {"board": found, "threads": threads, "tag": tag},
        found.name,
        description=found.description,
    )


@require_GET
@help_page
def thread(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    try:
        found = selectors.thread_get_for_viewer(pk=pk, viewer=request.user)
    except NotFound as exc:
        raise Http404 from exc
    if found.board.language != lang:
        return HttpResponseRedirect(_thread_url(found.board.language, pk))
    user, actor = _user(request), _actor(request)
    if user is not None and actor is not None:  # the thread is read: so are its notifications
        services.notifications_mark_read(user=user, thread=found, actor=actor)
    return _thread_page(request, lang, found)


def _thread_page(
    request: HttpRequest, lang: str, found: Any, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    """The thread page; after a refused answer, with the answer's form bound to its errors
    (so the member keeps what they typed)."""
    posts = selectors.posts_for_viewer(thread=found, viewer=request.user)
    user = _user(request)
    question = next((p for p in posts if p.is_question), None)
    return _render(
        request,
        lang,
        "community/thread.html",
        {
            "thread": found,
            "question": question,
            "answers": [p for p in posts if not p.is_question],
            "votes": selectors.votes_of(user=request.user, posts=posts),
            "following": selectors.follows(user=request.user, thread=found),
            "is_asker": user is not None and user.pk == found.author_id,
            "is_moderator": user is not None and permissions.can_moderate(user),
            "can_accept": user is not None
            and (user.pk == found.author_id or permissions.can_moderate(user)),
            "can_promote": user is not None and permissions.can_promote(user),
            "form": form or ReplyForm(),
            "restriction": selectors.posting_restriction(viewer=user),
            "boards": selectors.boards_for_moderators(viewer=user),
            "held": Visibility.HELD,
            "hidden": Visibility.HIDDEN,
        },
        found.title,
        status=status,
    )


@require_http_methods(["GET", "POST"])
@help_page
def ask(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return redirect_to_login(request.get_full_path())
    try:
        found = selectors.board_get(language=lang, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.thread_create(
                board=found,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                tags=[t for t in form.cleaned_data["tags"].split(",") if t.strip()],
                images=_uploads(request),
                actor=actor,
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            if created.visibility == Visibility.HELD:
                messages.info(
                    request, _("Thank you! Your question will appear once a moderator checks it.")
                )
            return HttpResponseRedirect(_thread_url(lang, created.pk))
    status = 422 if form.errors else 200
    return _render(
        request,
        lang,
        "community/ask.html",
        {
            "board": found,
            "form": form,
            "restriction": selectors.posting_restriction(viewer=request.user),
        },
        _("Ask the community"),
        status=status,
    )


def _back(lang: str, pk: int, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_thread_url(lang, pk) + anchor)


def _signed_in(request: HttpRequest) -> Actor | HttpResponse:
    actor = _actor(request)
    if actor is None:
        return redirect_to_login(request.META.get("HTTP_REFERER") or request.get_full_path())
    return actor


@require_POST
@help_page
def reply(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    allowed = _thread_action(request, pk)
    if isinstance(allowed, HttpResponse):
        return allowed
    actor, found = allowed
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            post = services.post_reply(
                thread=found, body=form.cleaned_data["body"], images=_uploads(request), actor=actor
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            if post.visibility == Visibility.HELD:
                messages.info(
                    request, _("Thank you! Your answer will appear once a moderator checks it.")
                )
            return _back(lang, pk, f"#post-{post.pk}")
    return _thread_page(request, lang, found, form=form, status=422)


def _acting_on(
    request: HttpRequest, load: Callable[..., Any], pk: int
) -> tuple[Actor, Any] | HttpResponse:
    """The signed-in actor and what ``load`` finds for them (else a login redirect, or 404)."""
    actor = _signed_in(request)
    if isinstance(actor, HttpResponse):
        return actor
    try:
        found = load(pk=pk, viewer=request.user)
    except NotFound as exc:
        raise Http404 from exc
    return actor, found


def _post_action(request: HttpRequest, pk: int) -> tuple[Actor, Any] | HttpResponse:
    return _acting_on(request, selectors.post_get_for_viewer, pk)


def _thread_action(request: HttpRequest, pk: int) -> tuple[Actor, Any] | HttpResponse:
    return _acting_on(request, selectors.thread_get_for_viewer, pk)


@require_POST
@help_page
def vote(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    found = _post_action(request, pk)
    if isinstance(found, HttpResponse):
        return found
    actor, post = found
    try:
        value = int(request.POST.get("value", "x"))
        services.post_vote(post=post, value=value, actor=actor)
    except ValueError:
        messages.error(request, _("Vote up or down."))
    except KefuError as exc:
        messages.error(request, exc.message)
    return _back(lang, post.thread_id, f"#post-{post.pk}")


@require_POST
@help_page
def report(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    found = _post_action(request, pk)
    if isinstance(found, HttpResponse):
        return found
    actor, post = found
    try:
        services.post_report(post=post, reason=request.POST.get("reason", ""), actor=actor)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you. A moderator will look at this post."))
    return _back(lang, post.thread_id, f"#post-{post.pk}")


@require_POST
@help_page
def accept(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    allowed = _thread_action(request, pk)
    if isinstance(allowed, HttpResponse):
        return allowed
    actor, found = allowed
    try:
        raw = request.POST.get("post", "")
        post = (
            selectors.post_get_for_viewer(pk=int(raw), viewer=request.user)
            if raw.isdigit()
            else None
        )
    except NotFound as exc:
        raise Http404 from exc
    try:
        services.thread_accept_answer(thread=found, post=post, actor=actor)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Answer accepted.") if post else _("Answer unmarked."))
    return _back(lang, pk)


@require_POST
@help_page
def follow(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    allowed = _thread_action(request, pk)
    if isinstance(allowed, HttpResponse):
        return allowed
    actor, found = allowed
    try:
        services.thread_follow(thread=found, follow=request.POST.get("follow") == "1", actor=actor)
    except KefuError as exc:
        messages.error(request, exc.message)
    return _back(lang, pk)


@require_POST
@help_page
def private_help(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    """The asker accepts support's offer to continue in private."""
    allowed = _thread_action(request, pk)
    if isinstance(allowed, HttpResponse):
        return allowed
    actor, found = allowed
    try:
        conversation = services.thread_accept_private_help(thread=found, actor=actor)
    except NotFound as exc:  # not the asker: there is no offer for them
        raise Http404 from exc
    except KefuError as exc:
        messages.error(request, exc.message)
        return _back(lang, pk)
    return HttpResponseRedirect(reverse("portal:request_detail", args=[conversation.pk]))


@require_GET
@help_page
def profile(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    try:
        found = selectors.profile_public(user_pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    viewer = _user(request)
    return _render(
        request,
        lang,
        "community/profile.html",
        {
            "profile": found,
            "can_sanction": viewer is not None
            and permissions.can_sanction(viewer)
            and found.user.is_customer,
            "is_staff": found.user.is_agent,
            "answers": selectors.profile_answers(profile=found),
        },
        found.display_name,
    )


@require_http_methods(["GET", "POST"])
@help_page
def profile_edit(request: HttpRequest, lang: str) -> HttpResponse:
    user, actor = _user(request), _actor(request)
    if user is None or actor is None:
        return redirect_to_login(request.get_full_path())
    if not user.is_customer:
        raise Http404
    current = services.profile_for(user)
    form = ProfileForm(request.POST or None, initial={"display_name": current.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                user=user, display_name=form.cleaned_data["display_name"], actor=actor
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Your display name has been saved."))
            return HttpResponseRedirect(reverse("community:profile", args=[lang, user.pk]))
    return _render(
        request,
        lang,
        "community/profile_edit.html",
        {"form": form},
        _("Your community profile"),
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@help_page
def notifications(request: HttpRequest, lang: str) -> HttpResponse:
    user, actor = _user(request), _actor(request)
    if user is None or actor is None:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        services.notifications_mark_read(user=user, actor=actor)
        return HttpResponseRedirect(reverse("community:notifications", args=[lang]))
    return _render(
        request,
        lang,
        "community/notifications.html",
        {"notifications": selectors.notifications_for(user=user)},
        _("Notifications"),
    )


@require_GET
def media(request: HttpRequest, pk: int, filename: str) -> FileResponse:
    """An image in a post, for whoever may read the post."""
    image = PostImage.objects.filter(pk=pk, filename=filename).first()
    if image is None:
        raise Http404
    try:
        post = selectors.post_get_for_viewer(pk=image.post_id, viewer=request.user)
    except NotFound as exc:
        raise Http404 from exc
    public = post.visibility == Visibility.VISIBLE
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
