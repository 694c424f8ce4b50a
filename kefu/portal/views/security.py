"""The customer's sign-in security on the account page: anti-phishing code, signing out
everywhere, and the password. Each form posts here and comes back to the account page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kefu.accounts.antiphishing import antiphishing_code_set
from kefu.accounts.devices import sessions_end_all_others
from kefu.accounts.services import user_change_password
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.portal.access import Customer, customer_required
from kefu.portal.account_security import AntiPhishingForm, PasswordChangeForm
from kefu.portal.views.pages import render_account


@require_POST
@customer_required
def antiphishing(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = AntiPhishingForm(request.POST)
    if form.is_valid():
        try:
            antiphishing_code_set(
                user=customer.user, code=form.cleaned_data["code"], actor=customer.actor
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            if customer.user.antiphishing_code:
                messages.success(request, _("Your anti-phishing code is saved."))
            else:
                messages.success(request, _("Your anti-phishing code is removed."))
            return redirect("portal:account")
    return render_account(request, customer, antiphishing_form=form, status=400)


@require_POST
@customer_required
def sign_out_everywhere(request: HttpRequest, customer: Customer) -> HttpResponse:
    user = sessions_end_all_others(user=customer.user, actor=customer.actor)
    update_session_auth_hash(request, user)  # this browser stays signed in
    messages.success(request, _("You are signed out on every other browser."))
    return redirect("portal:account")


@sensitive_post_parameters("old_password", "new_password")
@require_POST
@customer_required
def change_password(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user_change_password(
                user=customer.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                actor=customer.actor,
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            update_session_auth_hash(request, customer.user)
            messages.success(
                request, _("Your password is changed. Other browsers have been signed out.")
            )
            return redirect("portal:account")
    return render_account(request, customer, password_form=form, status=400)
