"""Sign in, sign out and sign up. The login page is the one login for staff and customers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts import signin
from kefu.accounts.models import User
from kefu.contacts.services import customer_signup
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError, RateLimited
from kefu.core.forms import add_service_error
from kefu.core.ratelimit import hit
from kefu.portal.access import home_for, redirect_after_login, request_ip, safe_next
from kefu.portal.account_security import LoginCodeForm
from kefu.portal.forms import LoginForm, SignupForm

SIGNUP_LIMIT = 10  # per IP address
SIGNUP_WINDOW_SECONDS = 3600
# Per-IP ceiling on sign-in attempts across all accounts (credential stuffing); django-axes
# separately locks one account+IP pair after a few failures.
LOGIN_LIMIT = 30
LOGIN_WINDOW_SECONDS = 600


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User) and request.user.is_authenticated:
        return redirect_after_login(request, request.user)
    if request.method == "POST":
        hit(
            f"portal-login:{request_ip(request)}",
            limit=LOGIN_LIMIT,
            window_seconds=LOGIN_WINDOW_SECONDS,
        )
    form = LoginForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        # With two-factor sign-in on, the password alone does not sign in: ask for a code.
        seen = signin.password_accepted(request, form.user, next_url=safe_next(request) or "")
        if seen is None:
            return redirect("portal:login_code")
        response = redirect_after_login(request, form.user)
        seen.remember(response)
        return response
    signin.cancel(request)  # a new sign-in drops one that was waiting for its code
    return render(request, "portal/login.html", {"form": form, "next": safe_next(request) or ""})


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    """The second step for staff with two-factor sign-in: an authenticator or recovery code.
    Only here does the session become signed in."""
    waiting = signin.pending(request)
    if waiting is None:
        if request.method == "POST":
            messages.error(request, _("The sign-in expired. Enter your password again."))
        return redirect("portal:login")
    form = LoginCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                seen = signin.code_accepted(request, waiting, form.cleaned_data["code"])
            except KefuError as exc:
                add_service_error(form, exc)
                status = exc.status
                # django-axes counts a wrong code like a wrong password for this account and
                # network, so the password step locks too after repeated failures.
                user_login_failed.send(
                    sender=__name__, credentials={"username": waiting.user.email}, request=request
                )
            else:
                target = waiting.next_url or home_for(waiting.user)
                response = HttpResponseRedirect(target)
                seen.remember(response)
                return response
        else:
            status = 400
    return render(request, "portal/login_code.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:home")


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User) and request.user.is_authenticated:
        return redirect_after_login(request, request.user)
    form = SignupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        ip = request_ip(request)
        try:
            # Every attempt counts, so the form cannot be used to probe for registered emails.
            hit(f"portal-signup:{ip}", limit=SIGNUP_LIMIT, window_seconds=SIGNUP_WINDOW_SECONDS)
        except RateLimited:
            form.is_valid()  # keep the field errors alongside the rate-limit message
            form.add_error(
                None,
                _("Too many sign-up attempts from your network. Please try again in an hour."),
            )
            status = 429
        else:
            if form.is_valid():
                data = form.cleaned_data
                try:
                    user = customer_signup(
                        email=data["email"],
                        password=data["password"],
                        name=data["name"],
                        language=data["language"],
                        actor=Actor(kind=ActorKind.CUSTOMER, label="portal sign-up", ip=ip),
                    )
                except KefuError as exc:
                    add_service_error(form, exc)
                else:
                    seen = signin.signed_up(request, user)
                    messages.success(request, _("Welcome! Your account is ready."))
                    response = redirect("portal:request_list")
                    seen.remember(response)
                    return response
    return render(request, "portal/signup.html", {"form": form}, status=status)
