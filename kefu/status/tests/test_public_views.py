"""The public pages: status page, entry page, Atom feed, subscribe / confirm / unsubscribe,
and the open-incidents banner on help-center pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.status import services, tokens
from kefu.status.models import IncidentKind, StatusSubscriber
from kefu.status.tests.conftest import ETH, NOW

ATOM = "{http://www.w3.org/2005/Atom}"
VISITOR = Actor(kind=ActorKind.CUSTOMER, label="status page visitor")


def _atom(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - the feed under test is our own output


def _html(response) -> str:
    return response.content.decode()


# --- status page and entry page --------------------------------------------------------------


def test_status_page_says_all_is_well_when_nothing_is_open(db, client):
    response = client.get("/help/en/status/")
    assert response.status_code == 200
    html = _html(response)
    assert '<h2 id="status-overall-title">All systems operational</h2>' in html
    assert "No incidents in the last 30 days." in html
    assert response.headers["Content-Language"] == "en"
    assert '<link rel="canonical" href="http://testserver/help/en/status/">' in html
    assert (
        '<link rel="alternate" hreflang="zh-hans" href="http://testserver/help/zh-hans/status/">'
        in html
    )
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'action="/help/en/status/subscribe"' in html


def test_status_page_shows_open_incidents_with_assets_and_timeline(
    eth_incident, manager, maintenance_factory, client, monkeypatch
):
    services.incident_update(
        incident=eth_incident,
        state="identified",
        body_en="Node lag. <script>alert(1)</script>",
        actor=manager,
    )
    maintenance_factory(clock.now() + timedelta(days=2))
    services.incident_create(
        kind=IncidentKind.ANNOUNCEMENT,
        title_en="TRC20 deposits are live",
        title_zh="已支持 TRC20 充值",
        body_en="Deposit USDT on TRC20.",
        actor=manager,
    )
    html = _html(client.get("/help/en/status/"))
    assert '<h2 id="status-overall-title">Partial service outage</h2>' in html
    assert '<h2 id="status-open-title">Current incidents</h2>' in html
    assert (
        f'<a href="/help/en/status/incidents/{eth_incident.pk}/">'
        "ETH withdrawals delayed by network congestion</a>"
    ) in html
    assert "<li>ETH (ERC20)</li>" in html
    assert "<li>USDT (ERC20)</li>" in html
    assert "Impact: Major" in html
    assert "<strong>Withdrawals are <strong>slow</strong>" not in html
    assert "Withdrawals are <strong>slow</strong>. Your funds are safe." in html
    assert "<script>alert(1)</script>" not in html
    assert "Wallet maintenance" in html
    assert "TRC20 deposits are live" in html
    # newest update first in the timeline
    assert html.index("Node lag.") < html.index("Your funds are safe.")


def test_status_page_in_chinese(eth_incident, client):
    response = client.get("/help/zh-hans/status/")
    assert response.status_code == 200
    html = _html(response)
    assert response.headers["Content-Language"] == "zh-hans"
    assert "<h1>服务状态</h1>" in html
    assert '<h2 id="status-overall-title">部分服务中断</h2>' in html
    assert "ETH 提现因网络拥堵延迟" in html
    assert "提现较慢。您的资金安全。" in html
    assert "影响：严重" in html
    assert "调查中" in html
    assert "订阅服务状态通知" in html


def test_resolved_incidents_move_to_history_and_old_ones_drop_off(
    eth_incident, manager, client, monkeypatch
):
    services.incident_update(
        incident=eth_incident, state="resolved", body_en="Fixed.", actor=manager
    )
    html = _html(client.get("/help/en/status/"))
    assert '<h2 id="status-overall-title">All systems operational</h2>' in html
    assert "Current incidents" not in html
    history = html[html.index("Past incidents") :]
    assert "ETH withdrawals delayed by network congestion" in history
    monkeypatch.setattr(clock, "now", lambda: eth_incident.resolved_at + timedelta(days=31))
    html = _html(client.get("/help/en/status/"))
    assert "ETH withdrawals" not in html


@pytest.mark.parametrize("path", ["/help/fr/status/", "/help/xx/status/feed.atom"])
def test_unknown_language_is_404(db, client, path):
    assert client.get(path).status_code == 404


def test_entry_page_in_both_languages(eth_incident, client):
    url = f"/help/en/status/incidents/{eth_incident.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    html = _html(response)
    assert '<h1 id="incident-title">ETH withdrawals delayed by network congestion</h1>' in html
    assert '<meta property="og:type" content="article">' in html
    assert (
        f'hreflang="zh-hans" href="http://testserver/help/zh-hans/status/incidents/'
        f'{eth_incident.pk}/"'
    ) in html
    html = _html(client.get(f"/help/zh-hans/status/incidents/{eth_incident.pk}/"))
    assert '<h1 id="incident-title">ETH 提现因网络拥堵延迟</h1>' in html


def test_drafts_and_missing_entries_are_404(eth_incident, manager, client):
    services.incident_set_public(incident=eth_incident, is_public=False, actor=manager)
    assert client.get(f"/help/en/status/incidents/{eth_incident.pk}/").status_code == 404
    assert client.get("/help/en/status/incidents/999999/").status_code == 404
    html = _html(client.get("/help/en/status/"))
    assert "ETH withdrawals" not in html


def test_status_page_query_count_does_not_grow_with_entries(
    manager, maintenance_factory, client, django_assert_max_num_queries
):
    for i in range(5):
        incident = services.incident_create(**{**ETH, "title_en": f"Issue {i}"}, actor=manager)
        services.incident_update(incident=incident, state="identified", body_en="x", actor=manager)
    maintenance_factory(clock.now() + timedelta(hours=3))
    with CaptureQueriesContext(connection) as few:
        client.get("/help/en/status/")
    for i in range(5):
        services.incident_create(**{**ETH, "title_en": f"More {i}"}, actor=manager)
    with CaptureQueriesContext(connection) as more:
        client.get("/help/en/status/")
    assert len(more) == len(few)
    assert len([q for q in few if "status_" in q["sql"]]) == 2


# --- Atom feed -------------------------------------------------------------------------------


def test_feed_is_valid_atom_with_one_entry_per_update_in_the_language(
    eth_incident, manager, client
):
    services.incident_update(
        incident=eth_incident,
        state="resolved",
        body_en="Back to normal.",
        body_zh="已恢复正常。",
        actor=manager,
    )
    services.incident_create(
        **{**ETH, "title_en": "Secret draft", "title_zh": "草稿"}, is_public=False, actor=manager
    )
    response = client.get("/help/zh-hans/status/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = _atom(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-hans"
    assert root.find(f"{ATOM}title").text == "服务状态"
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "ETH 提现因网络拥堵延迟：已解决",
        "ETH 提现因网络拥堵延迟：调查中",
    ]
    first = entries[0]
    link = first.find(f"{ATOM}link").get("href")
    assert re.fullmatch(
        rf"http://testserver/help/zh-hans/status/incidents/{eth_incident.pk}/#update-\d+", link
    )
    assert first.find(f"{ATOM}id").text == link
    assert "已恢复正常。" in first.find(f"{ATOM}summary").text
    assert first.find(f"{ATOM}updated").text

    english = _atom(client.get("/help/en/status/feed.atom").content)
    titles = [e.find(f"{ATOM}title").text for e in english.findall(f"{ATOM}entry")]
    assert titles[0] == "ETH withdrawals delayed by network congestion: Resolved"


def test_feed_leaves_out_drafts(eth_incident, manager, client):
    services.incident_set_public(incident=eth_incident, is_public=False, actor=manager)
    root = _atom(client.get("/help/en/status/feed.atom").content)
    assert root.findall(f"{ATOM}entry") == []


# --- subscribe / confirm / unsubscribe -------------------------------------------------------


def _csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get("/help/en/status/")
    return client, client.cookies["csrftoken"].value


def test_subscribe_form_double_opt_in_end_to_end(
    db, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.KEFU_PUBLIC_URL = "http://testserver"
    client, csrf = _csrf_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/help/zh-hans/status/subscribe",
            {"email": "wang@example.cn", "csrfmiddlewaretoken": csrf},
        )
    assert response.status_code == 302
    assert response.url == "/help/zh-hans/status/?subscribed=1#subscribe"
    html = _html(client.get(response.url))
    assert '<p class="status-notice" role="status">谢谢。' in html

    [email] = mailoutbox
    assert email.subject == "请确认订阅服务状态通知"
    confirm_url = re.search(r"http://testserver(/help/status/confirm/\S+)", email.body).group(1)
    subscriber = StatusSubscriber.objects.get()

    # Opening the link (a person, or a mail scanner) only asks.
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert "<h1>确认订阅</h1>" in _html(page)
    assert "wang@example.cn" in _html(page)
    assert page["Cache-Control"].startswith("max-age=0")
    assert '<meta name="robots" content="noindex">' in _html(page)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None

    # Confirming needs the CSRF token.
    assert client.post(confirm_url).status_code == 403
    done = client.post(confirm_url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert done.status_code == 200
    assert "<h1>订阅已确认</h1>" in _html(done)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    # Opening it again just says so.
    assert "<h1>订阅已确认</h1>" in _html(client.get(confirm_url))


def test_subscribe_rejects_a_post_without_csrf_token(db, mailoutbox):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/help/en/status/subscribe", {"email": "a@example.com"})
    assert response.status_code == 403
    assert not StatusSubscriber.objects.exists()
    assert mailoutbox == []


def test_subscribe_only_accepts_post(db, client):
    assert client.get("/help/en/status/subscribe").status_code == 405


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("nope", "Enter a valid email address."),
        ("x" * 10_000, "Enter a valid email address."),
        ("a" * 9_990 + "@example.com", "Enter a valid email address."),
    ],
)
def test_subscribe_shows_a_clear_error_and_writes_nothing(db, client, mailoutbox, email, message):
    response = client.post("/help/en/status/subscribe", {"email": email})
    assert response.status_code == 400
    html = _html(response)
    assert (
        f'<ul class="errorlist" id="subscribe-errors" role="alert"><li>{message}</li></ul>'
    ) in html
    assert 'aria-invalid="true"' in html
    assert f'value="{email[:254]}"' in html
    assert email[:255] not in html or len(email) <= 254  # the echo is cut to the field's size
    assert not StatusSubscriber.objects.exists()
    assert not AuditEntry.objects.exists()
    assert mailoutbox == []


def test_subscribe_errors_come_out_in_chinese(db, client):
    html = _html(client.post("/help/zh-hans/status/subscribe", {"email": ""}))
    assert "<li>请输入您的电子邮箱地址。</li>" in html


def test_subscribe_is_rate_limited_per_ip(db, client, mailoutbox):
    from kefu.status.views import SUBSCRIBE_LIMIT

    for i in range(SUBSCRIBE_LIMIT):
        response = client.post(
            "/help/en/status/subscribe",
            {"email": f"user{i}@example.com"},
            REMOTE_ADDR="198.51.100.7",
        )
        assert response.status_code == 302
    response = client.post(
        "/help/en/status/subscribe", {"email": "one-more@example.com"}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 429
    assert "Too many requests. Please wait a moment and try again." in _html(response)
    assert not StatusSubscriber.objects.filter(email="one-more@example.com").exists()
    assert StatusSubscriber.objects.count() == SUBSCRIBE_LIMIT
    # Another address is not affected.
    other = client.post(
        "/help/en/status/subscribe", {"email": "other@example.com"}, REMOTE_ADDR="198.51.100.8"
    )
    assert other.status_code == 302


def test_subscribing_a_known_address_looks_the_same(db, client):
    first = client.post("/help/en/status/subscribe", {"email": "ann@example.com"})
    subscriber = StatusSubscriber.objects.get()
    services.subscriber_confirm(
        token=tokens.subscriber_token(subscriber, tokens.CONFIRM), actor=VISITOR
    )
    second = client.post("/help/en/status/subscribe", {"email": "ann@example.com"})
    assert (first.status_code, first.url) == (second.status_code, second.url)


def test_unsubscribe_page_asks_then_unsubscribes(db, client):
    subscriber = StatusSubscriber.objects.create(
        email="ann@example.com", language="zh-hans", nonce="n", confirmed_at=NOW
    )
    url = f"/help/status/unsubscribe/{tokens.subscriber_token(subscriber, tokens.UNSUBSCRIBE)}"
    page = client.get(url)
    assert page.status_code == 200
    assert "<h1>退订</h1>" in _html(page)
    assert StatusSubscriber.objects.exists()
    done = client.post(url)
    assert done.status_code == 200
    assert "<h1>您已退订</h1>" in _html(done)
    assert not StatusSubscriber.objects.exists()
    again = client.post(url)
    assert again.status_code == 404
    assert "<h1>This link is not valid any more</h1>" in _html(again)  # the visitor's language


@pytest.mark.parametrize("kind", ["confirm", "unsubscribe"])
def test_bad_tokens_get_a_404_page(db, client, kind):
    subscriber = StatusSubscriber.objects.create(email="ann@example.com", language="en", nonce="n")
    for token in ("nonsense", f"{subscriber.pk}.{'0' * 64}"):
        response = client.get(f"/help/status/{kind}/{token}")
        assert response.status_code == 404
        assert "<h1>This link is not valid any more</h1>" in _html(response)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


# --- banner ----------------------------------------------------------------------------------


def test_help_center_banner_shows_open_incidents_and_not_resolved_ones(
    eth_incident, manager, client
):
    other = services.incident_create(
        **{**ETH, "title_en": "BTC deposits delayed", "title_zh": ""}, actor=manager
    )
    services.incident_update(incident=other, state="resolved", body_en="Fixed.", actor=manager)
    html = _html(client.get("/help/en/"))
    assert '<aside class="status-banner" aria-labelledby="status-banner-title">' in html
    assert (
        f'<a href="/help/en/status/incidents/{eth_incident.pk}/">'
        "ETH withdrawals delayed by network congestion</a>"
    ) in html
    assert "BTC deposits delayed" not in html

    zh = _html(client.get("/help/zh-hans/"))
    assert (
        f'<a href="/help/zh-hans/status/incidents/{eth_incident.pk}/">ETH 提现因网络拥堵延迟</a>'
    ) in zh
    assert "查看全部服务状态" in zh


def test_no_banner_when_nothing_is_open(db, client):
    html = _html(client.get("/help/en/"))
    assert "status-banner" not in html


def test_the_status_page_itself_has_no_banner(eth_incident, client):
    assert "status-banner" not in _html(client.get("/help/en/status/"))
