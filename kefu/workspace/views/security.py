"""The agent's sign-in security: two-factor set-up (QR code, recovery codes), turning it off,
recent devices, signing out everywhere, and changing the password.

Pages that show a secret (the set-up page, new recovery codes) are never cached, and recovery
codes are shown only in the response that created them.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts import twofactor
from kefu.accounts.devices import login_devices_recent, sessions_end_all_others
from kefu.accounts.services import user_change_password
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context
from kefu.workspace.security_forms import CodeForm, DisableForm, PasswordForm


def _next(request: HttpRequest) -> str:
    """A safe local ``next`` (the page the enrolment redirect interrupted), or ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def qr_svg(uri: str) -> SafeString:
    """The otpauth URI as an inline SVG QR code: no image request, nothing for the CSP to
    allow, and the secret never leaves the page."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=_("QR code for your authenticator")
    )
    return mark_safe(svg)  # noqa: S308 - segno writes the markup; the URI is XML-escaped by it


def _render(
    request: HttpRequest, template: str, status: int = 200, **context: object
) -> HttpResponse:
    return TemplateResponse(
        request, template, {**page_context(request, "preferences"), **context}, status=status
    )


def _security_page(
    request: HttpRequest,
    *,
    disable_form: DisableForm | None = None,
    password_form: PasswordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_agent(request)
    enabled = twofactor.two_factor_enabled(user)
    return _render(
        request,
        "workspace/security.html",
        status,
        enabled=enabled,
        required=twofactor.two_factor_required(user),
        codes_left=twofactor.recovery_codes_left(user) if enabled else 0,
        devices=login_devices_recent(user),
        disable_form=disable_form or DisableForm(),
        password_form=password_form or PasswordForm(),
        next=_next(request),
    )


@never_cache
@require_http_methods(["GET"])
@agent_required
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@require_POST
@agent_required
def enrol_start(request: HttpRequest) -> HttpResponse:
    try:
        twofactor.totp_enrol_start(user=current_agent(request), actor=current_actor(request))
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:security")
    target = reverse("workspace:security_enrol")
    if next_url := _next(request):
        target += "?" + urlencode({"next": next_url})
    return redirect(target)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@agent_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Show the pending authenticator (QR code and secret) and confirm it with a first code;
    then show the recovery codes, once."""
    user = current_agent(request)
    pending = twofactor.totp_pending(user)
    if pending is None:
        return redirect("workspace:security")
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                codes = twofactor.totp_enrol_confirm(
                    user=user, code=form.cleaned_data["code"], actor=current_actor(request)
                )
            except KefuError as exc:
                add_service_error(form, exc)
            else:
                return _codes_page(request, codes, first_time=True)
        status = 400
    return _render(
        request,
        "workspace/security_enrol.html",
        status,
        form=form,
        qr=qr_svg(pending.uri),
        secret=" ".join(pending.secret[i : i + 4] for i in range(0, len(pending.secret), 4)),
        next=_next(request),
    )


def _codes_page(request: HttpRequest, codes: list[str], *, first_time: bool) -> HttpResponse:
    response = _render(
        request,
        "workspace/security_codes.html",
        codes=codes,
        first_time=first_time,
        continue_url=_next(request) or reverse("workspace:security"),
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@agent_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = twofactor.recovery_codes_regenerate(
            user=current_agent(request), actor=current_actor(request)
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:security")
    return _codes_page(request, codes, first_time=False)


@sensitive_post_parameters("code", "password")
@require_POST
@agent_required
def disable(request: HttpRequest) -> HttpResponse:
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            twofactor.two_factor_disable(
                user=current_agent(request),
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("workspace:security")
    return _security_page(request, disable_form=form, status=400)


@require_POST
@agent_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = sessions_end_all_others(user=current_agent(request), actor=current_actor(request))
    update_session_auth_hash(request, user)  # this browser stays signed in
    messages.success(request, _("You are signed out on every other browser."))
    return redirect("workspace:security")


@sensitive_post_parameters("old_password", "new_password")
@require_POST
@agent_required
def change_password(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST)
    if form.is_valid():
        user = current_agent(request)
        try:
            user_change_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(
                request, _("Your password is changed. Other browsers have been signed out.")
            )
            return redirect("workspace:security")
    return _security_page(request, password_form=form, status=400)
