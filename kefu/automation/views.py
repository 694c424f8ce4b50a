"""The backoffice pages for automation rules: list, create, edit, delete (managers)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.automation import services
from kefu.automation.models import AutomationRule
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.views.common import act_and_redirect, page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


class RuleForm(forms.ModelForm[AutomationRule]):
    class Meta:
        model = AutomationRule
        fields = list(services.RULE_FIELDS)


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    rules = AutomationRule.objects.select_related("add_tag", "route_to_team").order_by(
        "position", "name"
    )
    return render(request, "automation/rule_list.html", page_context(me, "automation", rules=rules))


def _rule_form(request: HttpRequest, rule: AutomationRule | None) -> HttpResponse:
    me = manager_or_404(request)
    if request.method == "POST":
        form = RuleForm(request.POST, instance=rule)
        if form.is_valid():
            data = {name: form.cleaned_data.get(name) for name in services.RULE_FIELDS}
            try:
                saved = services.automation_rule_save(
                    rule=rule, data=data, actor=actor_for(request, me)
                )
            except KefuError as exc:
                add_service_error(form, exc)  # type: ignore[arg-type]  # a ModelForm is a form too
            else:
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
                return redirect("automation:rule_list")
    else:
        form = RuleForm(instance=rule)
    context = page_context(me, "automation", form=form, rule=rule)
    return render(request, "automation/rule_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    manager_or_404(request)
    return _rule_form(request, get_object_or_404(AutomationRule, pk=pk))


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    rule = get_object_or_404(AutomationRule, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.automation_rule_delete(rule=rule, actor=actor_for(request, me)),
        success=_("Rule deleted."),
        to="automation:rule_list",
    )
