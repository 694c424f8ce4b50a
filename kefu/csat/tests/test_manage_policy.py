"""The survey policy's backoffice page and its audited service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.csat.models import SurveyPolicy
from kefu.csat.services import survey_policy_save

BACKEND = "django.contrib.auth.backends.ModelBackend"
pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_supervisor_edits_the_policy_on_the_page(supervisor):
    client = _client(supervisor)
    url = reverse("backoffice:survey_policy:edit")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="answer_days"' in page.content.decode()
    response = client.post(url, {"answer_days": "3", "low_rating_at_most": "1"})  # unchecked
    assert response.status_code == 302
    policy = SurveyPolicy.current()
    assert (policy.enabled, policy.answer_days, policy.low_rating_at_most) == (False, 3, 1)
    entry = AuditEntry.objects.get(action="csat.policy_updated")
    assert entry.data == {
        "enabled": [True, False],
        "answer_days": [7, 3],
        "low_rating_at_most": [2, 1],
    }
    # Out of range: refused by the form, nothing saved.
    bad = client.post(url, {"enabled": "on", "answer_days": "0", "low_rating_at_most": "9"})
    assert bad.status_code == 200
    assert SurveyPolicy.current().answer_days == 3


def test_agents_cannot_edit_the_policy(agent_a, actor_of):
    assert _client(agent_a).get(reverse("backoffice:survey_policy:edit")).status_code == 404
    with pytest.raises(PermissionDenied):
        survey_policy_save(
            enabled=False, answer_days=3, low_rating_at_most=1, actor=actor_of(agent_a)
        )
    assert SurveyPolicy.current().enabled is True
    assert not AuditEntry.objects.filter(action="csat.policy_updated").exists()


def test_service_validates_and_writes_nothing_when_unchanged(supervisor, actor_of):
    actor = actor_of(supervisor)
    with pytest.raises(ValidationFailed):
        survey_policy_save(enabled=True, answer_days=61, low_rating_at_most=2, actor=actor)
    with pytest.raises(ValidationFailed):
        survey_policy_save(enabled=True, answer_days=7, low_rating_at_most=6, actor=actor)
    survey_policy_save(enabled=True, answer_days=7, low_rating_at_most=2, actor=actor)
    assert not AuditEntry.objects.filter(action="csat.policy_updated").exists()
