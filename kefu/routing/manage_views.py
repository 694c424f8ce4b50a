"""Routing policy in the backoffice (supervisors and admins): the ordered rules and the
assignment / escalation settings. Writes go through the audited services in
kefu.routing.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts import permissions
from kefu.accounts.models import Language, Team, User
from kefu.assistant.intents import INTENTS
from kefu.backoffice.access import actor_for
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.contacts.models import VipTier
from kefu.conversations.models import Category, Channel, ConversationType, Priority
from kefu.routing import services
from kefu.routing.models import RoutingRule

SECTION = "routing"
LIST_URL = "backoffice:routing:list"


def _checkboxes(label: Any, choices: list[tuple[Any, Any]], help_text: Any = "") -> Any:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text or gettext_lazy("None ticked: any."),
    )


class RuleForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("routing rule", "Name"), max_length=100)
    position = forms.IntegerField(
        label=gettext_lazy("Position"),
        min_value=0,
        max_value=100_000,
        initial=100,
        help_text=gettext_lazy("Rules are tried from the lowest position; the first match wins."),
    )
    active = forms.BooleanField(
        label=pgettext_lazy("routing rule", "Active"), required=False, initial=True
    )
    intents = _checkboxes(
        gettext_lazy("Category or assistant intent"),
        [*Category.choices, *[(i, i) for i in INTENTS if i not in Category.values]],
    )
    languages = _checkboxes(gettext_lazy("Language"), list(Language.choices))
    channels = _checkboxes(gettext_lazy("Channel"), list(Channel.choices))
    vip_tiers = _checkboxes(gettext_lazy("VIP tier"), [(str(v), lbl) for v, lbl in VipTier.choices])
    conversation_types = _checkboxes(gettext_lazy("Type"), list(ConversationType.choices))
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none())
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Raise priority to"),
        choices=[("", "—"), *[(str(v), lbl) for v, lbl in Priority.choices]],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    auto_assign_channels = _checkboxes(
        gettext_lazy("Channels assigned to agents automatically"),
        list(Channel.choices),
        gettext_lazy("Other channels wait in their team's queue for an agent to take them."),
    )
    reoffer_after_seconds = forms.IntegerField(
        label=gettext_lazy("Re-offer when the agent has not answered after (seconds)"),
        min_value=30,
        max_value=86_400,
    )
    l2_team = forms.ModelChoiceField(
        label=gettext_lazy("L2 (senior) team"), queryset=Team.objects.none(), required=False
    )
    l3_team = forms.ModelChoiceField(
        label=gettext_lazy("L3 (management) team"), queryset=Team.objects.none(), required=False
    )
    customer_escalation_after_hours = forms.IntegerField(
        label=gettext_lazy("Customers may ask to escalate after (hours unsolved)"),
        min_value=0,
        max_value=24 * 60,
    )
    customer_escalation_cooldown_hours = forms.IntegerField(
        label=gettext_lazy("Hours between a customer's escalation requests"),
        min_value=1,
        max_value=24 * 60,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("l2_team", "l3_team"):
            self.fields[name].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]


def _manager_or_404(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not permissions.can_manage_workspace(user):
        raise Http404
    return user


def _get(pk: int) -> RoutingRule:
    rule = RoutingRule.objects.select_related("team").filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    me = _manager_or_404(request)
    rules = list(RoutingRule.objects.select_related("team"))
    return render(
        request,
        "routing/manage_list.html",
        page_context(me, SECTION, rules=rules, policy=services.policy_get()),
    )


def _rule_form(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    me = _manager_or_404(request)
    initial: dict[str, Any] = {"position": 100, "active": True}
    if rule is not None:
        initial = {
            "name": rule.name,
            "position": rule.position,
            "active": rule.active,
            "intents": rule.intents,
            "languages": rule.languages,
            "channels": rule.channels,
            "vip_tiers": [str(v) for v in rule.vip_tiers],
            "conversation_types": rule.conversation_types,
            "team": rule.team_id,
            "priority": "" if rule.priority is None else str(rule.priority),
        }
    form = bind_form(request, RuleForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.routing_rule_save(
            rule=rule,
            name=data["name"],
            position=data["position"],
            active=data["active"],
            intents=data["intents"],
            languages=data["languages"],
            channels=data["channels"],
            vip_tiers=[int(v) for v in data["vip_tiers"]],
            conversation_types=data["conversation_types"],
            team=data["team"],
            priority=data["priority"],
            actor=actor_for(request, me),
        )
        return _("Routing rule saved: %(name)s.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url=LIST_URL,
        template="routing/manage_form.html",
        context=page_context(me, SECTION, form=form, rule=rule),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_or_404(request)
    return _rule_form(request, _get(pk))


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = _manager_or_404(request)
    rule = _get(pk)
    return act_and_redirect(
        request,
        lambda: services.routing_rule_delete(rule=rule, actor=actor_for(request, me)),
        success=_("Routing rule deleted: %(name)s.") % {"name": rule.name},
        to=LIST_URL,
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    me = _manager_or_404(request)
    policy = services.policy_get()
    initial = {
        "auto_assign_channels": policy.auto_assign_channels,
        "reoffer_after_seconds": policy.reoffer_after_seconds,
        "l2_team": policy.l2_team_id,
        "l3_team": policy.l3_team_id,
        "customer_escalation_after_hours": policy.customer_escalation_after_hours,
        "customer_escalation_cooldown_hours": policy.customer_escalation_cooldown_hours,
    }
    form = bind_form(request, PolicyForm, initial)

    def save(data: dict[str, Any]) -> str:
        services.routing_policy_save(actor=actor_for(request, me), **data)
        return _("Routing policy saved.")

    return form_page(
        request,
        form,
        save,
        success_url=LIST_URL,
        template="routing/manage_policy.html",
        context=page_context(me, SECTION, form=form),
    )


class SkillsForm(forms.Form):
    languages = _checkboxes(
        gettext_lazy("Languages"),
        list(Language.choices),
        gettext_lazy("None ticked: the agent takes conversations in any language."),
    )


@login_required
@require_GET
def skills_list(request: HttpRequest) -> HttpResponse:
    me = _manager_or_404(request)
    from kefu.accounts.models import UserKind
    from kefu.routing.models import AgentRoutingProfile

    staff = list(
        User.objects.filter(kind=UserKind.STAFF, is_active=True)
        .exclude(role="")
        .order_by("display_name", "email")
    )
    skills = {
        p.user_id: p.languages
        for p in AgentRoutingProfile.objects.filter(user__in=[u.pk for u in staff])
    }
    rows = [
        {"user": u, "form": SkillsForm(initial={"languages": skills.get(u.pk, [])})} for u in staff
    ]
    return render(request, "routing/manage_skills.html", page_context(me, SECTION, rows=rows))


@login_required
@require_POST
def skills_save(request: HttpRequest, pk: int) -> HttpResponse:
    me = _manager_or_404(request)
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    form = SkillsForm(request.POST)
    languages = form.cleaned_data["languages"] if form.is_valid() else []
    return act_and_redirect(
        request,
        lambda: services.agent_languages_set(
            user=user, languages=languages, actor=actor_for(request, me)
        ),
        success=_("Language skills saved for %(name)s.") % {"name": str(user)},
        to="backoffice:routing:skills",
    )
