"""The portal's home page and the customer's account preferences."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts.services import user_set_preferences
from kefu.contacts.services import contact_update
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.portal.access import Customer, customer_required
from kefu.portal.account_security import security_context
from kefu.portal.forms import PreferencesForm


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def _preferences_form(customer: Customer, data: QueryDict | None = None) -> PreferencesForm:
    user = customer.user
    return PreferencesForm(
        data,
        initial={
            "language": user.language or customer.contact.language,
            "timezone": user.timezone or "UTC",
        },
    )


def render_account(
    request: HttpRequest,
    customer: Customer,
    *,
    form: PreferencesForm | None = None,
    status: int = 200,
    **security_forms: Form,
) -> HttpResponse:
    """The account page: preferences, and the sign-in security sections
    (``kefu.portal.views.security``), with whichever form failed bound to its errors."""
    context = {
        "form": form or _preferences_form(customer),
        **security_context(customer, **security_forms),
    }
    return render(request, "portal/account.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def account(request: HttpRequest, customer: Customer) -> HttpResponse:
    user = customer.user
    form = _preferences_form(customer, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        language, tz_name = form.cleaned_data["language"], form.cleaned_data["timezone"]
        try:
            user_set_preferences(
                user=user, language=language, timezone_name=tz_name, actor=customer.actor
            )
            if customer.contact.language != language:
                # Replies by email follow the contact's language, so keep it in step.
                contact_update(contact=customer.contact, language=language, actor=customer.actor)
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            translation.activate(language)  # confirm in the language just chosen
            messages.success(request, _("Your preferences have been saved."))
            return redirect("portal:account")
    return render_account(request, customer, form=form)
