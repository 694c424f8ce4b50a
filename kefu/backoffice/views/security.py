"""Sign-in security (admins only): the two-factor policy per role, and resetting a staff
member's two-factor sign-in when they lost their authenticator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.accounts import twofactor
from kefu.accounts.models import User
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for
from kefu.backoffice.security_forms import SecurityPolicyForm, TwoFactorResetForm
from kefu.backoffice.views.common import page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


def security_manager_or_404(request: HttpRequest) -> User:
    """The signed-in admin; anyone else gets a 404."""
    user = request.user
    if not isinstance(user, User) or not twofactor.can_manage_security(user):
        raise Http404
    return user


@login_required
@require_http_methods(["GET", "POST"])
def security_policy(request: HttpRequest) -> HttpResponse:
    me = security_manager_or_404(request)
    policy = twofactor.security_policy_get()
    if request.method == "POST":
        form = SecurityPolicyForm(request.POST)
        if form.is_valid():
            try:
                twofactor.security_policy_set(
                    required_2fa_roles=form.cleaned_data["required_2fa_roles"],
                    actor=actor_for(request, me),
                )
            except KefuError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Security policy saved."))
                return redirect("backoffice:security_policy")
    else:
        form = SecurityPolicyForm(initial={"required_2fa_roles": policy.required_2fa_roles})
    staff = list(selectors.staff_list(viewer=me).filter(is_active=True))
    enrolled = twofactor.enrolled_user_ids(u.pk for u in staff)
    missing = [u for u in staff if u.role in policy.required_2fa_roles and u.pk not in enrolled]
    return render(
        request,
        "backoffice/security_policy.html",
        page_context(me, "security", form=form, missing=missing, enrolled_count=len(enrolled)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_2fa_reset(request: HttpRequest, pk: int) -> HttpResponse:
    me = security_manager_or_404(request)
    target = selectors.staff_get(viewer=me, pk=pk)
    form = TwoFactorResetForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            twofactor.two_factor_reset(
                user=target, reason=form.cleaned_data["reason"], actor=actor_for(request, me)
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Two-factor sign-in reset for %(email)s. They can set it up again.")
                % {"email": target.email},
            )
            return redirect("backoffice:staff_edit", pk=target.pk)
    return render(
        request,
        "backoffice/staff_2fa_reset.html",
        page_context(
            me,
            "staff",
            form=form,
            target=target,
            enabled=twofactor.two_factor_enabled(target),
        ),
    )
