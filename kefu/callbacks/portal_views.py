"""The customer's callback pages in the portal: book a slot, then see the booking with the code
to read out and the phrase the real agent will say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kefu.callbacks import codes, selectors, services
from kefu.callbacks.forms import BookForm, slot_value
from kefu.callbacks.models import Callback, CallbackStatus
from kefu.core import clock, ratelimit
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.portal.access import Customer, customer_required

BOOK_LIMIT = 20  # booking attempts per customer per hour
BOOK_WINDOW_SECONDS = 3600


def _day_label(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "l j F")


def _time_label(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _slot_days(selected: str) -> list[dict[str, Any]]:
    """The free slots, grouped by the customer's local day."""
    days: list[dict[str, Any]] = []
    for slot in selectors.slots_available(now=clock.now()):
        label = _day_label(slot.start)
        if not days or days[-1]["label"] != label:
            days.append({"label": label, "slots": []})
        value = slot_value(slot.start)
        days[-1]["slots"].append(
            {
                "value": value,
                "label": f"{_time_label(slot.start)}–{_time_label(slot.end)}",
                "checked": value == selected,
            }
        )
    return days


def _render_book(
    request: HttpRequest, customer: Customer, form: BookForm, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "days": _slot_days(str(form["slot"].value() or "")),
        "enabled": selectors.policy_current().enabled,
        "history": selectors.callback_list_for_customer(customer.contact),
        "timezone_name": timezone.get_current_timezone_name(),
    }
    return render(request, "callbacks/portal_book.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@customer_required
def book(request: HttpRequest, customer: Customer) -> HttpResponse:
    """GET: the free slots and the booking form. POST: book (one open callback at a time)."""
    if selectors.callback_open_for_customer(customer.contact) is not None:
        return redirect("callbacks:current")
    if request.method == "GET":
        form = BookForm(initial={"language": customer.contact.language or "en"})
        if customer.contact.phone.startswith("+"):
            form.initial["phone"] = customer.contact.phone
        return _render_book(request, customer, form)
    form = BookForm(request.POST)
    try:
        ratelimit.hit(
            f"callback-book:{customer.contact.pk}",
            limit=BOOK_LIMIT,
            window_seconds=BOOK_WINDOW_SECONDS,
        )
    except KefuError as exc:
        form.is_valid()
        form.add_error(None, exc.message)
        return _render_book(request, customer, form, status=429)
    if not form.is_valid():
        return _render_book(request, customer, form, status=400)
    data = form.cleaned_data
    try:
        services.callback_book(
            contact=customer.contact,
            phone=data["phone"],
            topic=data["topic"],
            language=data["language"],
            slot_start=data["slot"],
            actor=customer.actor,
        )
    except KefuError as exc:
        add_service_error(form, exc)
        return _render_book(request, customer, form, status=400)
    messages.success(request, _("Your callback is booked."))
    return redirect("callbacks:current")


@never_cache
@require_http_methods(["GET"])
@customer_required
def current(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The open callback: its time, status, the code to read out and the agent's phrase."""
    callback = selectors.callback_open_for_customer(customer.contact)
    if callback is None:
        return redirect("callbacks:book")
    locked = callback.code_attempts >= services.MAX_CODE_ATTEMPTS
    context = {
        "callback": callback,
        "day": _day_label(callback.slot_start),
        "time": f"{_time_label(callback.slot_start)}–{_time_label(callback.slot_end)}",
        "timezone_name": timezone.get_current_timezone_name(),
        "requested": callback.status == CallbackStatus.REQUESTED,
        "code": codes.open_code(callback.customer_code_sealed),
        "phrase": codes.open_phrase(callback.agent_phrase_sealed),
        "locked": locked,
        "can_renew": callback.status == CallbackStatus.REQUESTED
        and callback.code_renewals < services.MAX_CODE_RENEWALS,
    }
    return render(request, "callbacks/portal_current.html", context)


def _act_on_open_callback(
    request: HttpRequest,
    customer: Customer,
    act: Callable[[Callback], object],
    *,
    done: str,
    then: str,
) -> HttpResponse:
    """Run ``act`` on the customer's open callback: an error goes back to the callback page,
    success shows ``done`` and goes to ``then``."""
    callback = selectors.callback_open_for_customer(customer.contact)
    if callback is None:
        messages.error(request, _("You have no callback booked."))
        return redirect("callbacks:book")
    try:
        act(callback)
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("callbacks:current")
    messages.success(request, done)
    return redirect(then)


@never_cache
@require_POST
@customer_required
def cancel(request: HttpRequest, customer: Customer) -> HttpResponse:
    return _act_on_open_callback(
        request,
        customer,
        lambda callback: services.callback_cancel(callback=callback, actor=customer.actor),
        done=_("Your callback is cancelled."),
        then="callbacks:book",
    )


@never_cache
@require_POST
@customer_required
def renew(request: HttpRequest, customer: Customer) -> HttpResponse:
    return _act_on_open_callback(
        request,
        customer,
        lambda callback: services.callback_code_renew(callback=callback, actor=customer.actor),
        done=_("Here is your new code. The old one no longer works."),
        then="callbacks:current",
    )
