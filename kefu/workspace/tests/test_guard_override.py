"""The secret guard in the workspace: a reply that asks for a secret is refused; supervisors
and admins may send it anyway with an audited reason; conversations where a customer sent a
secret carry a "Security risk" badge."""

from __future__ import annotations

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Message
from kefu.testing import factories
from kefu.workspace.tests.conftest import login

ASKING = "Please send me your password so I can check your account."
OVERRIDE_FIELD = 'name="guard_override_reason"'


def post_reply(client, conversation, data, **extra):
    return client.post(f"/agent/c/{conversation.pk}/reply", data, **extra)


def written(counts):
    """What a refused reply must not add (re-rendering the page audits the view, that's all)."""
    return {k: v for k, v in counts().items() if k != "audit"}


def test_agent_reply_asking_for_a_password_is_refused_with_the_reason(
    client_a, conversation_a, counts
):
    before = written(counts)
    response = post_reply(client_a, conversation_a, {"body": ASKING})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Support never asks for that" in page
    assert "ask a supervisor" in page
    assert OVERRIDE_FIELD not in page  # agents cannot override
    assert ASKING in page  # the text is kept for rewriting
    assert written(counts) == before
    assert not AuditEntry.objects.filter(action__startswith="message.").exists()


def test_agent_cannot_override_by_posting_a_reason(client_a, conversation_a, counts):
    before = written(counts)
    response = post_reply(
        client_a, conversation_a, {"body": ASKING, "guard_override_reason": "I insist"}
    )
    assert response.status_code == 400
    assert "Only a supervisor or an admin" in response.content.decode()
    assert written(counts) == before
    assert not AuditEntry.objects.filter(action__startswith="message.").exists()


def test_live_page_gets_the_guard_code_as_json(client_a, conversation_a):
    response = post_reply(
        client_a, conversation_a, {"body": ASKING}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False
    assert data["code"] == "guard_blocked"
    assert "Support never asks for that" in data["errors"]["body"][0]
    other = post_reply(client_a, conversation_a, {"body": ""}, HTTP_ACCEPT="application/json")
    assert "code" not in other.json()


def test_supervisor_sees_the_override_field_after_a_block_and_sends_with_a_reason(
    supervisor, conversation_a
):
    client = login(supervisor)
    page = client.get(f"/agent/c/{conversation_a.pk}/").content.decode()
    assert OVERRIDE_FIELD in page
    assert "<div data-guard-override hidden>" in page  # hidden until a block

    blocked = post_reply(client, conversation_a, {"body": ASKING})
    assert blocked.status_code == 400
    blocked_page = blocked.content.decode()
    assert "<div data-guard-override>" in blocked_page
    assert "Reason to send it anyway" in blocked_page

    sent = post_reply(
        client,
        conversation_a,
        {"body": ASKING, "guard_override_reason": "QA test account, agreed with the customer."},
    )
    assert sent.status_code == 302
    message = Message.objects.filter(conversation=conversation_a).order_by("-id").first()
    assert message.body == ASKING
    audit = AuditEntry.objects.get(action="message.guard_overridden")
    assert audit.data == {
        "message": message.pk,
        "asked_for": "password",
        "reason": "QA test account, agreed with the customer.",
    }


def test_notes_are_not_checked(client_a, conversation_a):
    response = client_a.post(f"/agent/c/{conversation_a.pk}/note", {"body": ASKING})
    assert response.status_code == 302
    assert Message.objects.filter(conversation=conversation_a, body=ASKING).exists()


def test_security_risk_badge_in_the_inbox_and_on_the_page(client_a, customer_1, team_a):
    risky = factories.ConversationFactory(
        contact=customer_1.contact,
        team=team_a,
        subject="Locked out",
        body="My password is Hunter2!xyz, why does it not work?",
    )
    clean = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    inbox = client_a.get("/agent/?view=teams").content.decode()
    assert inbox.count("Security risk") == 1
    rows = {row["pk"]: row for row in client_a.get("/agent/?view=teams").context["table"]}
    assert rows[risky.pk]["security_risk"] is True
    assert rows[clean.pk]["security_risk"] is False

    page = client_a.get(f"/agent/c/{risky.pk}/").content.decode()
    assert "ws-security-risk" in page
    assert "The secret guard hid a password that the customer sent." in page
    assert "Hunter2!xyz" not in page
    assert "ws-security-risk" not in client_a.get(f"/agent/c/{clean.pk}/").content.decode()


def test_badge_and_guard_texts_in_chinese(agent_a, customer_1, team_a):
    agent_a.language = "zh-hans"
    agent_a.save(update_fields=["language"])
    risky = factories.ConversationFactory(
        contact=customer_1.contact, team=team_a, body="我的密码是 Hunter2!xyz"
    )
    client = login(agent_a)
    assert "安全风险" in client.get("/agent/?view=teams").content.decode()
    page = client.get(f"/agent/c/{risky.pk}/").content.decode()
    assert "安全风险" in page
    assert "机密防护隐藏了客户发送的密码" in page
    blocked = post_reply(client, risky, {"body": ASKING}).content.decode()
    assert "请联系主管" in blocked
