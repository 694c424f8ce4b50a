"""The live workspace in real browsers on the ASGI server (``asgi_server``): two agents on the same
conversation see each other and each other's notes without reloading; the inbox follows changes
without losing what the agent is typing in the search box; the status selector uses the socket;
the agent sees the customer typing and reading (the customer speaks the chat protocol here); a
reply the secret guard refuses over the socket lets a supervisor send it with a reason."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from kefu.inbox.models import ChatSite
from kefu.testing import factories
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Well under the server's 20 s database resync: what arrives in time was pushed live.
LIVE_TIMEOUT_MS = 10_000


def _agent(browser, base: str, email: str, errors: list[str]):
    ctx = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/agent/"))
    return ctx, page


def _live(page) -> None:
    expect(page.locator("#ws-conn")).to_have_attribute("data-state", "live")


@pytest.fixture
def conversation(customer_1, team_a):
    return factories.ConversationFactory(contact=customer_1.contact, team=team_a)


def test_two_agents_see_each_other_and_each_others_notes(
    browser, asgi_server, agent_a, senior, conversation
):
    base = asgi_server.url
    url = f"{base}/agent/c/{conversation.pk}/"
    errors: list[str] = []
    ctx_1, one = _agent(browser, base, agent_a.email, errors)
    ctx_2, two = _agent(browser, base, senior.email, errors)
    one.goto(url)
    two.goto(url)
    _live(one)
    _live(two)
    two.evaluate("window.kefuNotReloaded = true")

    # Each sees the other viewing, whichever opened the page first.
    activity_2 = two.locator("[data-agents-active]")
    expect(activity_2).to_contain_text(
        f"{agent_a.display_name} is viewing", timeout=LIVE_TIMEOUT_MS
    )
    expect(one.locator("[data-agents-active]")).to_contain_text(
        f"{senior.display_name} is viewing", timeout=LIVE_TIMEOUT_MS
    )

    # Typing in the reply box shows as replying to the other agent.
    one.get_by_label("Reply to the customer").press_sequentially("We are")
    expect(activity_2).to_contain_text(
        f"{agent_a.display_name} is replying", timeout=LIVE_TIMEOUT_MS
    )
    one.get_by_label("Reply to the customer").fill("")

    # Agent 1 adds a note without leaving the page; agent 2's timeline shows it by itself.
    one.locator("#note_body").fill("Checked the wallet: the funds are on chain.")
    one.get_by_role("button", name="Add note").click()
    expect(one.get_by_text("Internal note added.")).to_be_visible()
    expect(one.locator("#note_body")).to_have_value("")
    timeline_2 = two.locator('[data-region="timeline"]')
    expect(timeline_2).to_contain_text(
        "Checked the wallet: the funds are on chain.", timeout=LIVE_TIMEOUT_MS
    )
    assert two.evaluate("window.kefuNotReloaded") is True
    assert one.url == url
    note = timeline_2.locator("article.msg-note").last
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text(agent_a.display_name)

    # A change by agent 2 updates agent 1's header and side panel, but not the form agent 1 is
    # typing in.
    one.locator("#id_reason").fill("Needs a senior look")
    two.locator("#id_priority").select_option("3")
    two.get_by_role("button", name="Save priority").click()
    expect(one.locator('[data-region="conversation-head"]')).to_contain_text(
        "Urgent", timeout=LIVE_TIMEOUT_MS
    )
    expect(one.locator("#id_reason")).to_have_value("Needs a senior look")
    expect(one.locator("#id_reason")).to_be_focused()
    expect(one.locator("#id_priority")).to_have_value("3")  # its section was not busy
    expect(one.locator(".ws-timeline")).to_contain_text(
        "Changed the priority from Normal to Urgent"
    )

    # Leaving the page takes the "viewing" banner away for the other agent.
    one.goto(f"{base}/agent/")
    expect(activity_2).not_to_contain_text(
        f"{agent_a.display_name} is viewing", timeout=LIVE_TIMEOUT_MS
    )
    assert errors == []
    ctx_1.close()
    ctx_2.close()


def test_inbox_follows_changes_and_the_status_needs_no_reload(
    browser, asgi_server, agent_a, senior, conversation
):
    base = asgi_server.url
    errors: list[str] = []
    ctx_1, inbox = _agent(browser, base, agent_a.email, errors)
    ctx_2, desk = _agent(browser, base, senior.email, errors)
    inbox.goto(f"{base}/agent/?view=teams")
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    _live(inbox)
    _live(desk)
    row = inbox.locator(f'tr[data-key="{conversation.pk}"]')
    expect(row).to_contain_text("Unassigned")
    search = inbox.locator("#id_q")
    search.press_sequentially("half-typed")

    desk.get_by_role("button", name="Assign to me").click()

    expect(row).to_contain_text(senior.display_name, timeout=LIVE_TIMEOUT_MS)
    expect(search).to_be_focused()
    expect(search).to_have_value("half-typed")

    # The status selector speaks over the socket: no page load here, and the status is stored
    # (another page of the same agent shows it; the database is not polled from this thread,
    # which would contend with the server's writes on the shared in-memory SQLite).
    inbox.select_option("#presence-select", "away")
    other = ctx_1.new_page()
    for _ in range(20):
        other.goto(f"{base}/agent/account/")
        if other.locator("#presence-select").input_value() == "away":
            break
        time.sleep(0.25)
    expect(other.locator("#presence-select")).to_have_value("away")
    expect(search).to_have_value("half-typed")
    assert inbox.url == f"{base}/agent/?view=teams"
    assert errors == []
    ctx_1.close()
    ctx_2.close()


def _frames_until(ws, kind: str, timeout: float = 10.0, **fields):
    """Read the customer's socket until a frame of ``kind`` with ``fields`` arrives."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frame


def test_agent_sees_the_customer_typing_and_reading(browser, asgi_server, agent_a, team_a):
    from websockets.sync.client import connect

    site = ChatSite.objects.create(key="live-test", name="Live test", team=team_a)
    base = asgi_server.url
    errors: list[str] = []
    with connect(base.replace("http", "ws", 1) + "/ws/chat/v1") as customer:
        customer.send(json.dumps({"type": "hello", "v": 1, "site": site.key}))
        _frames_until(customer, "welcome")
        customer.send(
            json.dumps({"type": "message.send", "id": "first-message", "body": "Where is my USDT?"})
        )
        conversation_id = _frames_until(customer, "message.ack")["conversation"]["id"]

        ctx, desk = _agent(browser, base, agent_a.email, errors)
        desk.goto(f"{base}/agent/c/{conversation_id}/")
        _live(desk)
        typing = desk.locator("[data-customer-typing]")
        expect(typing).to_be_hidden()
        # The open page marks the customer's message read for the customer to see.
        _frames_until(customer, "read", who="agent", seq=1)

        customer.send(
            json.dumps({"type": "typing", "conversation_id": conversation_id, "state": True})
        )
        expect(typing).to_have_text("Customer is typing…", timeout=LIVE_TIMEOUT_MS)
        customer.send(
            json.dumps({"type": "typing", "conversation_id": conversation_id, "state": False})
        )
        expect(typing).to_be_hidden(timeout=LIVE_TIMEOUT_MS)

        desk.get_by_label("Reply to the customer").fill("It is on its way.")
        desk.get_by_role("button", name="Send reply").click()
        reply = _frames_until(customer, "message.created")["message"]
        assert reply["body"] == "It is on its way."
        expect(desk.locator(".ws-seen")).to_have_count(0)

        customer.send(
            json.dumps({"type": "read", "conversation_id": conversation_id, "seq": reply["seq"]})
        )
        expect(desk.locator(".ws-seen")).to_have_text("Seen by customer", timeout=LIVE_TIMEOUT_MS)
        expect(desk.locator("article.msg-agent").last.locator("xpath=..")).to_contain_text(
            "Seen by customer"
        )
    assert errors == []
    ctx.close()


def test_delivery_state_of_a_whatsapp_reply_updates_without_a_reload(
    browser, asgi_server, supervisor, settings
):
    """The reply's label follows the provider's status callbacks live ("message.delivery")."""
    import httpx

    from kefu.inbox.tests.conftest import META_APP_SECRET, META_VERIFY_TOKEN
    from kefu.inbox.tests.graph_server import (
        PHONE_NUMBER_ID,
        VERSION,
        WHATSAPP_TOKEN,
        GraphServer,
    )
    from kefu.inbox.tests.meta_payloads import sign, wa_message, wa_status, whatsapp

    base = asgi_server.url
    errors: list[str] = []

    def webhook(payload) -> None:
        body = json.dumps(payload).encode()
        response = httpx.post(
            f"{base}/channels/whatsapp/webhook",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
            timeout=10,
        )
        assert response.status_code == 200

    with GraphServer() as graph:
        settings.KEFU_META_APP_SECRET = META_APP_SECRET
        settings.KEFU_META_VERIFY_TOKEN = META_VERIFY_TOKEN
        settings.KEFU_WHATSAPP_TOKEN = WHATSAPP_TOKEN
        settings.KEFU_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
        settings.KEFU_META_GRAPH_BASE = graph.base
        settings.KEFU_META_GRAPH_VERSION = VERSION
        webhook(whatsapp([wa_message("wamid.BROWSER1", text="Where is my deposit?")]))
        from kefu.conversations.models import Conversation

        conversation = Conversation.objects.get(channel="whatsapp")
        ctx, desk = _agent(browser, base, supervisor.email, errors)
        desk.goto(f"{base}/agent/c/{conversation.pk}/")
        _live(desk)
        desk.get_by_label("Reply to the customer").fill("It is on its way.")
        desk.get_by_role("button", name="Send reply").click()
        label = desk.locator("article.msg-agent .ws-delivery").last
        expect(label).to_have_text("Sent", timeout=LIVE_TIMEOUT_MS)
        sent = graph.state.sent("whatsapp.send")
        assert [c.json["text"]["body"] for c in sent] == ["It is on its way."]
        desk.evaluate("window.kefuNotReloaded = true")

        webhook(whatsapp(statuses=[wa_status("wamid.SENT1001", "delivered")]))
        expect(label).to_have_text("Delivered", timeout=LIVE_TIMEOUT_MS)
        webhook(whatsapp(statuses=[wa_status("wamid.SENT1001", "read")]))
        expect(label).to_have_text("Read by the customer", timeout=LIVE_TIMEOUT_MS)
        assert desk.evaluate("window.kefuNotReloaded") is True
    assert errors == []
    ctx.close()


def test_guard_refusal_over_the_socket_lets_a_supervisor_send_it_with_a_reason(
    browser, asgi_server, supervisor, conversation
):
    from kefu.audit.models import AuditEntry

    base = asgi_server.url
    errors: list[str] = []
    ctx, page = _agent(browser, base, supervisor.email, errors)
    frames: list[dict] = []
    posts: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda payload: frames.append(json.loads(payload))),
    )
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{base}/agent/c/{conversation.pk}/")
    _live(page)
    box = page.get_by_label("Reply to the customer")
    asking = "Please send me your password so I can check."
    box.fill(asking)
    page.get_by_role("button", name="Send reply").click()

    # Refused over the socket: the message by the form, the text kept, the reason field shown.
    expect(page.locator("[data-live-errors]")).to_contain_text("Support never asks for that")
    expect(box).to_have_value(asking)
    expect(page.locator("[data-guard-override]")).to_be_visible()
    assert [f["type"] for f in frames if f.get("type") == "message.send"] == ["message.send"]
    assert [u for u in posts if u.endswith("/reply")] == []

    # With a reason, the reply goes by the form (the override is checked and audited there).
    page.get_by_label("Reason to send it anyway").fill("The customer asked us to reset it.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(page.locator("[data-guard-override]")).to_be_hidden()
    assert len([u for u in posts if u.endswith("/reply")]) == 1
    assert conversation.messages.filter(body=asking).count() == 1
    assert AuditEntry.objects.filter(action="message.guard_overridden").count() == 1
    assert errors == []
    ctx.close()
