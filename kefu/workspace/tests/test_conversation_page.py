"""The conversation page: timeline, customer panel, forms, macros and the audit of the read."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.contacts.models import VipTier
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Priority, Status
from kefu.testing import factories
from kefu.workspace.tests.conftest import PNG


def page(client, conversation, query=""):
    response = client.get(f"/agent/c/{conversation.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_opening_a_conversation_records_a_sensitive_read(client_a, agent_a, conversation_a):
    before = AuditEntry.objects.count()

    client_a.get(f"/agent/c/{conversation_a.pk}/")

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "conversation.viewed"
    assert entry.actor_ref == f"agent:{agent_a.pk}"
    assert entry.object_type == "conversation"
    assert entry.object_id == str(conversation_a.pk)
    assert entry.data == {"contact": conversation_a.contact_id}
    assert entry.ip == "127.0.0.1"


def test_header_shows_the_conversation_facts(client_a, agent_a, conversation_a):
    html = page(client_a, conversation_a)

    assert (
        f'<h1><span class="ws-ref">{conversation_a.reference}</span> Withdrawal not received</h1>'
        in html
    )
    assert '<dd><span class="badge status-new">New</span></dd>' in html
    assert '<dd><span class="badge prio-1">Normal</span></dd>' in html
    assert "<dd>L1 front line</dd>" in html
    assert "<dd>Team A</dd>" in html


def test_timeline_shows_messages_notes_and_every_change(
    client_supervisor, supervisor, agent_a, actor_of, conversation_a, team_b
):
    actor = actor_of(agent_a)
    factories.TagFactory(name="withdrawal")
    services.message_reply(conversation=conversation_a, body="We are **checking** it.", actor=actor)
    services.note_add(conversation=conversation_a, body="Looks like a chain delay.", actor=actor)
    services.conversation_set_status(
        conversation=conversation_a, status=Status.PENDING, actor=actor
    )
    services.conversation_set_priority(
        conversation=conversation_a, priority=Priority.URGENT, actor=actor
    )
    services.conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor)
    services.conversation_assign(conversation=conversation_a, assignee=None, actor=actor)
    services.conversation_set_tags(conversation=conversation_a, names=["withdrawal"], actor=actor)
    services.conversation_escalate(
        conversation=conversation_a, reason="Needs a senior look", actor=actor
    )
    services.conversation_set_team(
        conversation=conversation_a, team=team_b, actor=actor_of(supervisor)
    )
    services.conversation_set_team(
        conversation=conversation_a, team=None, actor=actor_of(supervisor)
    )

    html = page(client_supervisor, conversation_a)

    who_a, who_s = agent_a.display_name, supervisor.display_name
    assert '<article class="msg msg-customer">' in html
    assert "<p>My USDT withdrawal has not arrived after two hours.</p>" in html
    assert "Opened the conversation via Web form." in html
    assert '<article class="msg msg-agent">' in html
    assert "<p>We are <strong>checking</strong> it.</p>" in html
    assert '<article class="msg msg-note">' in html
    assert '<span class="badge ws-note-label">Internal note</span>' in html
    assert "<p>Looks like a chain delay.</p>" in html
    events = [
        htmllib.unescape(" ".join(e.split()))
        for e in re.findall(r'<li class="event ws-event[^"]*"[^>]*>(.*?)<time', html, re.S)
    ]
    assert events == [
        f"<strong>{who_a}</strong>: Changed the status from New to Open.",
        f"<strong>{who_a}</strong>: Changed the status from Open to Pending on customer.",
        f"<strong>{who_a}</strong>: Changed the priority from Normal to Urgent.",
        f"<strong>{who_a}</strong>: Assigned to {who_a}.",
        f"<strong>{who_a}</strong>: Unassigned.",
        f"<strong>{who_a}</strong>: Changed the tags from (none) to withdrawal.",
        f"<strong>{who_a}</strong>: Escalated from tier 1 to tier 2. "
        f'<span class="ws-reason">Reason: Needs a senior look</span>',
        f"<strong>{who_s}</strong>: Routed to team Team B.",
        f"<strong>{who_s}</strong>: Removed from its team.",
    ]


def test_escalation_that_drops_the_assignee_says_so(
    client_supervisor, agent_a, actor_of, conversation_a
):
    actor = actor_of(agent_a)
    services.conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor)
    services.conversation_escalate(conversation=conversation_a, reason="Over my head", actor=actor)

    html = page(client_supervisor, conversation_a)

    assert (
        "Escalated from tier 1 to tier 2. The assignee does not work on that tier and was "
        "unassigned."
    ) in html


def test_message_html_is_sanitised(client_a, customer_1, team_a, make_conversation):
    conversation = make_conversation(
        contact=customer_1.contact,
        team=team_a,
        body='<script>alert("x")</script> **bold** <b onclick="x">b</b>',
    )

    html = page(client_a, conversation)

    # Raw HTML in a message is shown as text, never run.
    assert "<script>alert" not in html
    assert "<b onclick" not in html
    assert (
        '&lt;script&gt;alert("x")&lt;/script&gt; <strong>bold</strong> '
        '&lt;b onclick="x"&gt;b&lt;/b&gt;'
    ) in html


def test_customer_panel_shows_the_profile(client_a, customer_1, conversation_a):
    contact = customer_1.contact
    contact.phone = "+86 138 0000 0000"
    contact.language = "zh-hans"
    contact.vip_tier = VipTier.VIP2
    contact.save()

    html = page(client_a, conversation_a)

    panel = html[html.index('id="customer-heading"') : html.index('id="others-heading"')]
    assert f"<dt>Name</dt><dd>{contact.name}</dd>" in panel
    # Email and phone are masked until revealed (test_customer_privacy.py).
    assert '<dt>Email</dt><dd><span class="ws-masked" data-reveal-value>a***@example.com' in panel
    assert f'<dt>Exchange account id</dt><dd class="ws-mono">{contact.uid}</dd>' in panel
    assert '<dt>Phone</dt><dd><span class="ws-masked" data-reveal-value>+86 138****0000' in panel
    assert "<dt>Preferred language</dt><dd>Simplified Chinese</dd>" in panel
    assert "<dt>VIP tier</dt><dd>VIP 2</dd>" in panel


def test_customer_panel_lists_their_other_visible_conversations(
    client_a, customer_1, conversation_a, team_a, team_b, make_conversation
):
    other = make_conversation(contact=customer_1.contact, team=team_a, subject="Second issue")
    hidden = make_conversation(contact=customer_1.contact, team=team_b, subject="Hidden issue")

    html = page(client_a, conversation_a)

    assert (
        f'<li><a href="/agent/c/{other.pk}/">{other.reference}</a> Second issue '
        f'<span class="badge status-new">New</span></li>'
    ) in html
    assert hidden.reference not in html
    assert "Hidden issue" not in html


def test_assign_select_lists_only_agents_who_work_on_the_tier(
    client_supervisor, agent_a, agent_b, senior, supervisor, admin_user, make_conversation
):
    conversation = make_conversation(tier=2)

    html = page(client_supervisor, conversation)

    select = html[html.index('<select id="assign-agent"') :]
    select = select[: select.index("</select>")]
    values = re.findall(r'<option value="(\d+)">', select)
    assert sorted(int(v) for v in values) == sorted([senior.pk, supervisor.pk, admin_user.pk])


def test_status_select_offers_only_allowed_moves(client_a, conversation_a):
    conversation_a.__class__.objects.filter(pk=conversation_a.pk).update(status=Status.SOLVED)

    html = page(client_a, conversation_a)

    select = html[html.index('<select name="status" id="id_status">') :]
    select = select[: select.index("</select>")]
    assert re.findall(r'<option value="(\w+)"', select) == ["open", "solved", "closed"]
    assert '<option value="solved" selected>' in select


def test_escalation_form_is_hidden_at_the_top_tier(client_supervisor, make_conversation):
    top = make_conversation(tier=3)
    lower = make_conversation(tier=2)

    assert 'id="escalate"' not in page(client_supervisor, top)
    html = page(client_supervisor, lower)
    assert 'id="escalate"' in html
    assert "Raise this conversation to tier 3." in html


def test_tags_form_lists_existing_tags_with_current_ones_checked(client_a, conversation_a):
    for name in ("kyc", "refund"):
        factories.TagFactory(name=name)
    conversation_a.tags.add(factories.TagFactory(name="refund"))

    html = page(client_a, conversation_a)

    assert 'type="checkbox" name="tags" value="kyc" id="id_tags_0">' in html
    assert 'type="checkbox" name="tags" value="refund" id="id_tags_1" checked>' in html


# --- macros ---------------------------------------------------------------------------------


@pytest.fixture
def macro(db):
    return factories.MacroFactory(name="Checking")


def test_macro_options_carry_the_english_text_filled_for_this_conversation(
    client_a, agent_a, customer_1, conversation_a, macro
):
    html = page(client_a, conversation_a)

    text = (
        f"Hello {customer_1.contact.name}, about {conversation_a.reference}: we are on it. "
        f"{agent_a.display_name}"
    )
    assert f'<option value="{macro.pk}" data-text="{text}">Checking</option>' in html
    assert '<select id="macro-select" name="macro" data-macro-target="reply_body">' in html
    assert '<textarea name="body" cols="40" rows="10" required id="reply_body">' in html


def test_macro_options_use_chinese_for_a_chinese_conversation(
    client_a, agent_a, customer_1, team_a, make_conversation, macro
):
    conversation = make_conversation(contact=customer_1.contact, team=team_a, language="zh-hans")

    html = page(client_a, conversation)

    text = (
        f"{customer_1.contact.name}您好，关于 {conversation.reference}：我们正在处理。"
        f"{agent_a.display_name}"
    )
    assert f'data-text="{text}"' in html


def test_macro_without_javascript_prefills_the_reply_box(
    client_a, agent_a, customer_1, conversation_a, macro
):
    html = page(client_a, conversation_a, f"?macro={macro.pk}")

    text = (
        f"Hello {customer_1.contact.name}, about {conversation_a.reference}: we are on it. "
        f"{agent_a.display_name}"
    )
    assert f'required id="reply_body">\n{text}</textarea>' in html


def test_macro_without_javascript_in_chinese(
    client_a, agent_a, customer_1, team_a, make_conversation, macro
):
    conversation = make_conversation(contact=customer_1.contact, team=team_a, language="zh-hans")

    html = page(client_a, conversation, f"?macro={macro.pk}")

    text = (
        f"{customer_1.contact.name}您好，关于 {conversation.reference}：我们正在处理。"
        f"{agent_a.display_name}"
    )
    assert f'required id="reply_body">\n{text}</textarea>' in html


@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_unknown_macro_leaves_the_reply_box_empty(client_a, conversation_a, macro, value):
    html = page(client_a, conversation_a, f"?macro={value}")

    assert 'required id="reply_body">\n</textarea>' in html


def test_macro_text_is_escaped_in_the_page(client_a, conversation_a, macro):
    macro.body_en = 'Say "hi" <b>now</b> {{ unknown }}'
    macro.save()

    html = page(client_a, conversation_a)

    assert 'data-text="Say &quot;hi&quot; &lt;b&gt;now&lt;/b&gt; {{ unknown }}"' in html


def test_macro_script_is_a_static_file(client_a, conversation_a, macro):
    html = page(client_a, conversation_a)

    assert '<script src="/static/workspace/workspace.js" defer></script>' in html
    assert '<form class="inline ws-macro" method="get"' in html


def _page_queries(client, conversation):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/agent/c/{conversation.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_page_query_count_does_not_grow_with_the_timeline(
    client_a, agent_a, actor_of, conversation_a, system_actor
):
    actor = actor_of(agent_a)
    services.message_reply(
        conversation=conversation_a,
        body="one",
        actor=actor,
        attachments=[UploadedFile("a.png", PNG)],
    )
    short = _page_queries(client_a, conversation_a)
    for i in range(5):
        services.message_reply(
            conversation=conversation_a,
            body=f"reply {i}",
            actor=actor,
            attachments=[UploadedFile(f"{i}.png", PNG)],
        )
        services.note_add(conversation=conversation_a, body=f"note {i}", actor=actor)
        services.message_reply(
            conversation=conversation_a, body=f"customer {i}", actor=system_actor, author="customer"
        )
        services.conversation_set_priority(conversation=conversation_a, priority=i % 4, actor=actor)

    assert _page_queries(client_a, conversation_a) == short
