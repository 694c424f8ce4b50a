"""Live chat end to end in a real browser: the embeddable widget on a deliberately hostile host
page (/chat/demo/), an agent in the workspace, both live over WebSockets (or the HTTP long-poll
fallback). The server is the real ASGI application (``asgi_server``), so sockets, the channel
layer and the widget's reconnect logic are all exercised for real.

The widget renders in an open shadow root; Playwright's locators pierce it, so the widget's
``data-testid`` attributes are used directly.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kefu.conversations.models import Channel, Conversation, Message, MessageKind
from kefu.helpcenter.models import ContactOption
from kefu.inbox.models import ChatSite, ChatVisitor
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Confirmed messages carry their sequence number; pending bubbles do not.
CONFIRMED = "[data-testid=kefu-message][data-seq]"
LIVE_TIMEOUT_MS = 15_000  # well under the server's 20 s database resync: proves a live push


@pytest.fixture
def demo_site(team_a):
    """The site the demo host page embeds, routed to team A, with two official contacts."""
    ContactOption.objects.create(
        kind="email",
        label_en="Email",
        label_zh="邮箱",
        value="support@demo-exchange.test",
        url="mailto:support@demo-exchange.test",
        order=1,
    )
    ContactOption.objects.create(
        kind="telegram",
        label_en="Telegram",
        label_zh="Telegram",
        value="@DemoExchangeSupport",
        url="https://t.me/DemoExchangeSupport",
        order=2,
    )
    return ChatSite.objects.create(
        key="demo-site",
        name="Demo Exchange",
        team=team_a,
        greeting_en="Hi! Ask us anything about your account.",
        greeting_zh="您好！有任何账户问题都可以问我们。",
    )


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _shot(page, name: str) -> None:
    folder = os.environ.get("KEFU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _visitor(browser, base: str, errors: list[str], query: str = "", **context):
    ctx = browser.new_context(
        locale=context.pop("locale", "en-US"),
        viewport=context.pop("viewport", {"width": 1280, "height": 900}),
        **context,
    )
    page = ctx.new_page()
    _watch(page, errors)
    page.goto(f"{base}/chat/demo/{query}")
    return ctx, page


def _agent(browser, base: str, email: str, errors: list[str]):
    ctx = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    desk = ctx.new_page()
    _watch(desk, errors)
    desk.goto(f"{base}/login")
    desk.get_by_label("Email").fill(email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(re.compile(r"/agent/"))
    return ctx, desk


def _send(page, text: str) -> None:
    page.get_by_test_id("kefu-input").fill(text)
    page.get_by_test_id("kefu-input").press("Enter")


def _agent_reply(desk, text: str) -> None:
    desk.get_by_label("Reply to the customer").fill(text)
    desk.get_by_role("button", name="Send reply").click()


def _chat() -> Conversation:
    return Conversation.objects.get(channel=Channel.CHAT)


def _record_agent_traffic(desk) -> tuple[list[dict], list[str]]:
    """The frames the workspace sends on its agent socket and the URLs it POSTs to."""
    frames: list[dict] = []
    posts: list[str] = []

    def on_socket(ws) -> None:
        if ws.url.endswith("/ws/agent/v1"):
            ws.on("framesent", lambda payload: frames.append(json.loads(payload)))

    desk.on("websocket", on_socket)
    desk.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return frames, posts


def _start_chat(browser, base: str, errors: list[str], text: str):
    visitor, page = _visitor(browser, base, errors)
    page.get_by_test_id("kefu-launcher").click()
    _send(page, text)
    expect(page.locator(CONFIRMED)).to_have_count(1)
    return visitor, page, _chat()


def test_visitor_and_agent_chat_live(browser, asgi_server, demo_site, agent_a):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page = _visitor(browser, base, errors)
    page.get_by_test_id("kefu-launcher").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_visible()
    expect(page.get_by_test_id("kefu-input")).to_be_focused()
    expect(page.get_by_test_id("kefu-greeting")).to_have_text(
        "Hi! Ask us anything about your account."
    )
    expect(page.get_by_test_id("kefu-hours")).to_contain_text("Service hours")
    expect(page.get_by_test_id("kefu-contacts")).to_contain_text("support@demo-exchange.test")
    expect(page.get_by_test_id("kefu-contacts")).to_contain_text("@DemoExchangeSupport")

    page.get_by_test_id("kefu-email").fill("visitor@example.com")
    page.get_by_test_id("kefu-email-save").click()
    expect(page.get_by_test_id("kefu-email-saved")).to_contain_text("visitor@example.com")
    expect(page.get_by_test_id("kefu-email-form")).to_be_hidden()
    _shot(page, "chat-widget-before-first-message")

    # The agent watches the team inbox before the visitor writes: the chat must appear live.
    agent, desk = _agent(browser, base, agent_a.email, errors)
    desk.goto(f"{base}/agent/?view=teams")

    _send(page, "My USDT withdrawal is stuck")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    expect(page.get_by_test_id("kefu-pending")).to_have_count(0)
    conversation = _chat()
    assert ChatVisitor.objects.get(site=demo_site).email == "visitor@example.com"

    link = desk.get_by_role("link", name=re.compile("My USDT withdrawal is stuck"))
    expect(link.first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    frames, posts = _record_agent_traffic(desk)
    link.first.click()
    desk.wait_for_url(re.compile(rf"/agent/c/{conversation.pk}/"))
    expect(desk.locator("#ws-conn")).to_have_attribute("data-state", "live")
    _agent_reply(desk, "Hi, I am checking the TRON network for you.")

    reply = page.locator(f"{CONFIRMED}[data-author=agent]")
    expect(reply).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(reply.get_by_test_id("kefu-message-body")).to_contain_text("checking the TRON network")
    expect(reply.get_by_test_id("kefu-message-name")).to_have_text(agent_a.display_name)
    # The reply went over the agent socket (docs/adr/0030), not the form: the page says so as
    # the form would, and clears the box.
    expect(desk.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(desk.get_by_label("Reply to the customer")).to_have_value("")
    sent = [f for f in frames if f.get("type") == "message.send"]
    assert [(f["conversation_id"], f["kind"], f["body"]) for f in sent] == [
        (conversation.pk, "reply", "Hi, I am checking the TRON network for you.")
    ]
    assert [u for u in posts if "/reply" in u] == []

    _send(page, "Thanks, the txid is 0xabc123")
    expect(page.locator(CONFIRMED)).to_have_count(3)
    expect(desk.get_by_text("Thanks, the txid is 0xabc123")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    _shot(page, "chat-widget-conversation")
    _shot(desk, "chat-agent-conversation")

    assert list(
        Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY)
        .order_by("public_seq")
        .values_list("author_kind", "public_seq")
    ) == [("customer", 1), ("agent", 2), ("customer", 3)]
    assert errors == []
    visitor.close()
    agent.close()


def test_messages_survive_a_dropped_connection_exactly_once(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page = _visitor(browser, base, errors)
    page.get_by_test_id("kefu-launcher").click()
    _send(page, "Question before the drop")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    conversation = _chat()

    agent, desk = _agent(browser, base, agent_a.email, errors)
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    _agent_reply(desk, "Answer before the drop")
    expect(page.locator(CONFIRMED)).to_have_count(2, timeout=LIVE_TIMEOUT_MS)

    page.evaluate("window.KefuChat._debugDropConnection()")
    expect(page.get_by_test_id("kefu-connection")).to_be_visible()
    _send(page, "Sent while offline")
    expect(page.get_by_test_id("kefu-pending")).to_have_count(1)
    _agent_reply(desk, "Reply while you were away")
    desk.get_by_text("Reply while you were away").first.wait_for()
    assert page.locator(CONFIRMED).count() == 2  # nothing arrives while disconnected

    page.evaluate("window.KefuChat._debugReconnect()")
    expect(page.locator(CONFIRMED)).to_have_count(4, timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("kefu-pending")).to_have_count(0)
    expect(page.get_by_test_id("kefu-connection")).to_be_hidden()
    seqs = page.locator(CONFIRMED).evaluate_all("items => items.map(i => i.dataset.seq)")
    assert seqs == ["1", "2", "3", "4"]
    for text in ("Sent while offline", "Reply while you were away"):
        expect(page.locator(CONFIRMED).filter(has_text=text)).to_have_count(1)

    # The same again after a second drop: the resent and resynced messages stay unique.
    page.evaluate("window.KefuChat._debugDropConnection()")
    page.evaluate("window.KefuChat._debugReconnect()")
    expect(page.get_by_test_id("kefu-connection")).to_be_hidden()
    _send(page, "After the second reconnect")
    expect(page.locator(CONFIRMED)).to_have_count(5)
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).count() == 5

    # Unsent messages survive a page load (sessionStorage) and go out exactly once.
    page.evaluate("window.KefuChat._debugDropConnection()")
    _send(page, "Typed just before a page load")
    expect(page.get_by_test_id("kefu-pending")).to_have_count(1)
    page.reload()
    # The returning visitor (token in localStorage) reconnects without opening the panel, so a
    # reply that arrives meanwhile shows as unread on the launcher.
    expect(page.get_by_test_id("kefu-messages").locator(CONFIRMED)).to_have_count(6)
    _agent_reply(desk, "Welcome back")
    launcher = page.get_by_test_id("kefu-launcher")
    expect(launcher).to_have_attribute(
        "aria-label", "Chat with support (1 new)", timeout=LIVE_TIMEOUT_MS
    )
    launcher.click()
    expect(page.locator(CONFIRMED)).to_have_count(7)
    expect(page.locator(CONFIRMED).filter(has_text="Typed just before a page load")).to_have_count(
        1
    )
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).count() == 7
    assert errors == []
    visitor.close()
    agent.close()


def test_long_poll_fallback_carries_messages_both_ways(browser, asgi_server, demo_site, agent_a):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page = _visitor(browser, base, errors, "?transport=poll")
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.get_by_test_id("kefu-launcher").click()
    _send(page, "Hello over plain HTTP")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    conversation = _chat()

    agent, desk = _agent(browser, base, agent_a.email, errors)
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    expect(desk.get_by_text("Hello over plain HTTP").first).to_be_visible()
    _agent_reply(desk, "Polling works too")
    reply = page.locator(f"{CONFIRMED}[data-author=agent]")
    expect(reply).to_contain_text("Polling works too", timeout=LIVE_TIMEOUT_MS + 25_000)

    _send(page, "Great, thank you")
    expect(page.locator(CONFIRMED)).to_have_count(3)
    expect(desk.get_by_text("Great, thank you")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert sockets == []  # the widget never opened a chat socket
    assert errors == []
    visitor.close()
    agent.close()


def test_host_page_css_does_not_leak_into_the_widget(browser, asgi_server, demo_site):
    errors: list[str] = []
    visitor, page = _visitor(browser, asgi_server.url, errors)
    page.get_by_test_id("kefu-launcher").click()
    send = page.get_by_test_id("kefu-send")
    expect(send).to_be_visible()
    # The host page styles every button red with !important and every element in a serif font.
    background = send.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background != "rgb(255, 0, 0)"
    assert background == "rgb(31, 111, 235)"
    font = page.get_by_test_id("kefu-input").evaluate("el => getComputedStyle(el).fontFamily")
    assert "Georgia" not in font
    assert "serif" not in font.replace("sans-serif", "")
    host_button = page.get_by_role("button", name="Sign up")
    assert host_button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 0, 0)"
    # A host-page link marked data-kefu-open opens the chat without any script of its own.
    page.get_by_test_id("kefu-close").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_hidden()
    page.get_by_role("link", name="open the chat").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_visible()
    # The widget adds exactly one element and one global to the host page.
    assert page.evaluate("document.querySelectorAll('kefu-chat').length") == 1
    assert page.evaluate("Object.keys(window.KefuChat).includes('open')")
    assert errors == []
    visitor.close()


def test_widget_speaks_chinese_and_switches_language(browser, asgi_server, demo_site):
    errors: list[str] = []
    visitor, page = _visitor(browser, asgi_server.url, errors, "?lang=zh-hans", locale="zh-CN")
    launcher = page.get_by_test_id("kefu-launcher")
    expect(launcher).to_have_attribute("aria-label", "联系客服")
    launcher.click()
    expect(page.get_by_test_id("kefu-input")).to_have_attribute("placeholder", "请输入消息…")
    expect(page.get_by_test_id("kefu-greeting")).to_have_text("您好！有任何账户问题都可以问我们。")
    expect(page.get_by_test_id("kefu-lang-zh-hans")).to_have_attribute("aria-pressed", "true")
    _shot(page, "chat-widget-chinese")

    page.get_by_test_id("kefu-lang-en").click()
    expect(page.get_by_test_id("kefu-input")).to_have_attribute("placeholder", "Type your message…")
    expect(page.get_by_test_id("kefu-greeting")).to_have_text(
        "Hi! Ask us anything about your account."
    )
    expect(page.get_by_test_id("kefu-lang-en")).to_have_attribute("aria-pressed", "true")
    assert errors == []
    visitor.close()


def test_widget_is_keyboard_operable_and_full_screen_on_phones(browser, asgi_server, demo_site):
    errors: list[str] = []
    visitor, page = _visitor(
        browser,
        asgi_server.url,
        errors,
        viewport={"width": 375, "height": 740},
        reduced_motion="reduce",  # no opening animation: the panel's box is final at once
    )
    launcher = page.get_by_test_id("kefu-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_test_id("kefu-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("kefu-input")).to_be_focused()
    box = panel.bounding_box()
    assert box is not None
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 740)
    _shot(page, "chat-widget-phone")

    # Shift+Enter is a newline, Enter sends.
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    expect(page.get_by_test_id("kefu-input")).to_have_value("line one\nline two")
    page.keyboard.press("Enter")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    assert Message.objects.get(conversation=_chat()).body == "line one\nline two"

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert errors == []
    visitor.close()


def test_reply_falls_back_to_the_form_when_the_agent_socket_is_down(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page, conversation = _start_chat(browser, base, errors, "Is anyone there?")
    agent, desk = _agent(browser, base, agent_a.email, errors)
    # Every agent socket this page opens is closed at once: the page keeps reconnecting.
    desk.route_web_socket(re.compile(r".*/ws/agent/v1$"), lambda ws: ws.close())
    frames, posts = _record_agent_traffic(desk)
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    expect(desk.locator("#ws-conn")).not_to_have_attribute("data-state", "live")

    _agent_reply(desk, "Yes, posted with the form.")

    expect(desk.get_by_text("Reply sent to the customer.")).to_be_visible()
    # The widget still hears it live (its own socket is fine).
    reply = page.locator(f"{CONFIRMED}[data-author=agent]")
    expect(reply).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(reply.get_by_test_id("kefu-message-body")).to_contain_text("posted with the form")
    assert [u for u in posts if u.endswith(f"/agent/c/{conversation.pk}/reply")] != []
    assert [f for f in frames if f.get("type") == "message.send"] == []
    assert list(
        conversation.messages.filter(author_kind="agent").values_list("body", flat=True)
    ) == ["Yes, posted with the form."]
    assert errors == []
    visitor.close()
    agent.close()


def test_reply_whose_ack_is_lost_is_posted_again_with_its_key_and_stored_once(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page, conversation = _start_chat(browser, base, errors, "Hello?")
    agent, desk = _agent(browser, base, agent_a.email, errors)
    sent: list[dict] = []

    # The server stores the frame's reply, but its ack never reaches the page: after the
    # page's 10 s wait it posts the form with the frame's id as client_key.
    def lose_acks(ws) -> None:
        server = ws.connect_to_server()

        def to_server(message) -> None:
            frame = json.loads(message)
            if frame.get("type") == "message.send":
                sent.append(frame)
            server.send(message)

        def to_page(message) -> None:
            if json.loads(message).get("type") != "message.ack":
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    desk.route_web_socket(re.compile(r".*/ws/agent/v1$"), lose_acks)
    forms: list[str] = []
    desk.on(
        "request",
        lambda r: forms.append(r.post_data or "") if r.url.endswith("/reply") else None,
    )
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    expect(desk.locator("#ws-conn")).to_have_attribute("data-state", "live")

    _agent_reply(desk, "Only one copy, please.")

    expect(desk.get_by_text("Reply sent to the customer.")).to_be_visible(timeout=20_000)
    assert len(sent) == 1
    assert len(forms) == 1
    assert sent[0]["id"] in forms[0]  # the same idempotency key
    expect(page.locator(f"{CONFIRMED}[data-author=agent]")).to_have_count(1)
    assert list(
        conversation.messages.filter(author_kind="agent").values_list("body", flat=True)
    ) == ["Only one copy, please."]
    assert errors == []
    visitor.close()
    agent.close()


def test_typing_read_receipt_closed_conversation_and_a_new_one(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page = _visitor(browser, base, errors)
    page.get_by_test_id("kefu-launcher").click()
    _send(page, "Please close my old ticket")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    conversation = _chat()

    agent, desk = _agent(browser, base, agent_a.email, errors)
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    # The agent has the conversation open and visible: the visitor sees "Read".
    expect(page.get_by_test_id("kefu-read")).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    desk.get_by_label("Reply to the customer").press_sequentially("Done", delay=20)
    expect(page.get_by_test_id("kefu-typing")).to_have_text(
        f"{agent_a.display_name} is typing…", timeout=LIVE_TIMEOUT_MS
    )
    desk.get_by_label("Then set status to").select_option("closed")
    desk.get_by_role("button", name="Send reply").click()

    expect(page.get_by_test_id("kefu-closed")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("kefu-closed")).to_contain_text("This conversation was closed.")
    expect(page.get_by_test_id("kefu-typing")).to_be_hidden()
    expect(page.get_by_test_id("kefu-input")).to_be_hidden()

    page.get_by_test_id("kefu-new-conversation").click()
    expect(page.get_by_test_id("kefu-input")).to_be_focused()
    expect(page.locator(CONFIRMED)).to_have_count(0)
    _send(page, "A different question")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    old, new = Conversation.objects.filter(channel=Channel.CHAT).order_by("pk")
    assert old.status == "closed"
    assert new.status != "closed"
    assert new.messages.get().body == "A different question"
    assert errors == []
    visitor.close()
    agent.close()


# The smallest valid PNG (1×1, transparent) and a minimal PDF header are enough for the
# upload checks (type sniffing, size); they are not rendered by the test.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)
PDF_MINIMAL = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_visitor_attaches_an_image_and_a_pdf(browser, asgi_server, demo_site):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page = _visitor(browser, base, errors)
    page.get_by_test_id("kefu-launcher").click()
    files = page.get_by_test_id("kefu-file")
    files.set_input_files({"name": "receipt.png", "mimeType": "image/png", "buffer": PNG_1X1})
    expect(page.locator(CONFIRMED)).to_have_count(1)
    image = page.locator(f"{CONFIRMED} [data-testid=kefu-attachment] img")
    expect(image).to_have_attribute("alt", "receipt.png")
    image.evaluate("img => img.decode()")  # the signed link serves the image
    assert image.evaluate("img => img.naturalWidth") == 1

    files.set_input_files(
        {"name": "statement.pdf", "mimeType": "application/pdf", "buffer": PDF_MINIMAL}
    )
    expect(page.locator(CONFIRMED)).to_have_count(2)
    pdf = page.locator(f"{CONFIRMED}[data-seq='2'] [data-testid=kefu-attachment]")
    expect(pdf).to_contain_text("statement.pdf")
    expect(pdf).to_have_attribute("href", re.compile(r"/chat/v1/attachments/\d+\?sig="))

    files.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"})
    expect(page.get_by_test_id("kefu-error")).to_have_text(
        "Only images and PDF files can be attached."
    )
    conversation = _chat()
    assert [m.attachments.get().filename for m in conversation.messages.order_by("pk")] == [
        "receipt.png",
        "statement.pdf",
    ]
    assert errors == []
    visitor.close()


def test_identified_customer_chats_without_being_asked_for_an_email(
    browser, asgi_server, demo_site
):
    errors: list[str] = []
    visitor, page = _visitor(browser, asgi_server.url, errors, "?as=customer")
    page.get_by_test_id("kefu-launcher").click()
    expect(page.get_by_test_id("kefu-intro")).to_be_visible()
    _send(page, "Signed in and asking")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    expect(page.get_by_test_id("kefu-email-form")).to_be_hidden()
    chat_visitor = ChatVisitor.objects.get(site=demo_site)
    assert chat_visitor.external_id == "demo-uid-10001"
    assert _chat().contact == chat_visitor.contact
    # Identified visitors keep no anonymous token in the browser.
    assert page.evaluate("localStorage.getItem('kefu.chat.demo-site.visitor')") is None
    assert errors == []
    visitor.close()
