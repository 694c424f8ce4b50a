"""The survey on each channel: email one-click links (signed, expiring, GET never votes), the
portal form, the agent's side panel and the supervisors' follow-up page."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import Channel, Status
from kefu.core import clock
from kefu.csat.links import SALT, rating_token
from kefu.csat.models import FollowUp, FollowUpStatus, Survey
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _solve(conversation, agent, actor_of, capture):
    with capture(execute=True):
        conv.conversation_set_status(
            conversation=conversation, status=Status.SOLVED, actor=actor_of(agent)
        )
    return Survey.objects.get(conversation=conversation, superseded=False)


@pytest.fixture
def email_conversation(customer_1, team_a):
    return factories.ConversationFactory(
        contact=customer_1.contact, team=team_a, channel=Channel.EMAIL
    )


def _links(body: str) -> dict[int, str]:
    return {int(n): url for n, url in re.findall(r"^([1-5]): (https?://\S+)$", body, flags=re.M)}


def test_solving_an_email_conversation_mails_five_signed_links(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.KEFU_PUBLIC_URL = "https://support.example.com"
    mailoutbox.clear()
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [email_conversation.contact.email]
    assert email_conversation.reference in mail.subject
    links = _links(mail.body)
    assert sorted(links) == [1, 2, 3, 4, 5]
    for n, url in links.items():
        token = url.rsplit("/", 2)[-2]
        assert signing.loads(token, salt=SALT) == {"s": survey.pk, "r": n}
        assert url.startswith("https://support.example.com/csat/r/")


def test_link_get_shows_confirmation_and_records_nothing(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=2)])
    before = AuditEntry.objects.count()
    response = Client().get(url)  # what a mail scanner does
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'value="2" checked' in html
        or 'checked value="2"' in html
        or re.search(r'<input[^>]*value="2"[^>]*checked', html)
    )
    survey.refresh_from_db()
    assert survey.rating is None
    assert AuditEntry.objects.count() == before


def test_link_post_records_the_answer_as_the_customer(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=2)])
    response = Client().post(url, {"rating": "2", "resolved": "no", "comment": "Slow answer"})
    assert response.status_code == 200
    assert "Thank you for your feedback." in response.content.decode()
    survey.refresh_from_db()
    assert (survey.rating, survey.resolved, survey.comment) == (2, False, "Slow answer")
    entry = AuditEntry.objects.get(action="survey.answered")
    assert entry.actor_ref == f"customer:{email_conversation.contact_id}"
    assert FollowUp.objects.filter(survey=survey).exists()  # 2 is a low rating
    # The same link changes the answer while the survey is open.
    Client().post(url, {"rating": "5", "resolved": "yes", "comment": ""})
    survey.refresh_from_db()
    assert survey.rating == 5
    assert AuditEntry.objects.filter(action="survey.changed").count() == 1


def test_link_page_escalates_a_negative_answer_when_asked_and_not_a_good_one(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.routing.models import EscalationRequest, EscalationSource

    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=5)])
    page = Client().get(url).content.decode()
    assert 'name="escalate"' in page  # the "please escalate it" checkbox
    Client().post(url, {"rating": "5", "resolved": "yes", "escalate": "on"})
    assert not EscalationRequest.objects.exists()  # a good answer is not escalated
    response = Client().post(url, {"rating": "1", "resolved": "no", "escalate": "on"})
    assert response.status_code == 200
    request = EscalationRequest.objects.get()
    assert (request.conversation_id, request.source) == (
        email_conversation.pk,
        EscalationSource.CSAT,
    )
    # Asking again from the same page shows the reason on the form and asks nothing more.
    again = Client().post(url, {"rating": "1", "resolved": "no", "escalate": "on"})
    assert again.status_code == 400
    assert "being reviewed" in again.content.decode()
    assert EscalationRequest.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_link_is_refused_and_records_nothing(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, method
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    forged = signing.dumps({"s": survey.pk, "r": 1}, salt=SALT, key="not-the-server-key")
    tampered = rating_token(survey_id=survey.pk, rating=5)[:-2] + "xx"
    other_salt = signing.dumps({"s": survey.pk, "r": 1}, salt="something.else")
    before = AuditEntry.objects.count()
    for token in (forged, tampered, other_salt):
        url = reverse("csat:rate", args=[token])
        response = getattr(Client(), method)(url, {"rating": "1", "resolved": "no"})
        assert response.status_code == 410
        assert "not valid" in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating is None
    assert AuditEntry.objects.count() == before


def test_expired_link_is_refused(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, monkeypatch
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=4)])
    eight_days = time.time() + 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days)
    response = Client().post(url, {"rating": "4", "resolved": "yes"})
    assert response.status_code == 410
    survey.refresh_from_db()
    assert survey.rating is None


def test_link_of_a_superseded_survey_is_refused(
    email_conversation, customer_1, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=4)])
    conv.conversation_set_status(
        conversation=email_conversation, status=Status.OPEN, actor=actor_of(agent_a)
    )
    _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    assert Client().get(url).status_code == 410


def test_window_end_closes_the_link(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, monkeypatch
):
    survey = _solve(email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    url = reverse("csat:rate", args=[rating_token(survey_id=survey.pk, rating=4)])
    later = survey.open_until + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert Client().get(url).status_code == 410


# --- portal ---------------------------------------------------------------------------------


def _portal(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_portal_request_page_shows_the_form_and_records_the_answer(
    conversation_a, customer_1, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    client = _portal(customer_1)
    page = client.get(reverse("portal:request_detail", args=[conversation_a.pk])).content.decode()
    assert "How did we do?" in page
    assert reverse("csat:portal_answer", args=[conversation_a.pk]) in page
    response = client.post(
        reverse("csat:portal_answer", args=[conversation_a.pk]),
        {"rating": "4", "resolved": "yes", "comment": "Thanks"},
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.rating, survey.resolved, survey.comment) == (4, True, "Thanks")
    page = client.get(reverse("portal:request_detail", args=[conversation_a.pk])).content.decode()
    assert "Change my answer" in page


def test_portal_customer_cannot_answer_another_customers_survey(
    conversation_a, customer_2, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    before = AuditEntry.objects.count()
    response = _portal(customer_2).post(
        reverse("csat:portal_answer", args=[conversation_a.pk]), {"rating": "1"}
    )
    assert response.status_code == 404
    survey.refresh_from_db()
    assert survey.rating is None
    assert AuditEntry.objects.count() == before


def test_portal_invalid_rating_is_refused(
    conversation_a, customer_1, agent_a, actor_of, django_capture_on_commit_callbacks
):
    survey = _solve(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    _portal(customer_1).post(
        reverse("csat:portal_answer", args=[conversation_a.pk]), {"rating": "9"}
    )
    survey.refresh_from_db()
    assert survey.rating is None


# --- workspace ------------------------------------------------------------------------------


def test_agents_see_the_rating_on_the_conversation_page(
    conversation_a, customer_1, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.csat.services import survey_answer

    survey = _solve(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    survey_answer(
        survey=survey, rating=3, resolved=False, comment="Took long", actor=actor_of(customer_1)
    )
    page = _portal(agent_a).get(reverse("workspace:conversation", args=[conversation_a.pk]))
    html = page.content.decode()
    assert "Satisfaction" in html
    assert "3 of 5" in html
    assert "not resolved" in html
    assert "Took long" in html


def test_supervisor_handles_followups_on_the_page(
    conversation_a,
    customer_1,
    agent_a,
    supervisor,
    actor_of,
    django_capture_on_commit_callbacks,
):
    from kefu.csat.services import survey_answer

    survey = _solve(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    survey_answer(survey=survey, rating=1, resolved=False, actor=actor_of(customer_1))
    task = FollowUp.objects.get()
    client = _portal(supervisor)
    html = client.get(reverse("agent_csat:followups")).content.decode()
    assert conversation_a.reference in html
    client.post(
        reverse("agent_csat:followup_assign", args=[task.pk]), {"assignee": str(supervisor.pk)}
    )
    client.post(
        reverse("agent_csat:followup_complete", args=[task.pk]), {"note": "Called, refunded fee"}
    )
    task.refresh_from_db()
    assert task.assignee == supervisor
    assert task.status == FollowUpStatus.DONE
    assert task.note == "Called, refunded fee"
    assert _portal(agent_a).get(reverse("agent_csat:followups")).status_code == 404
