"""Every input one person types that another person sees, filled with the XSS corpus through the
real services, then rendered in headless Chromium where it is shown: nothing runs, nothing is
left that could run on a click, and the text is still there to read (escaped, not dropped).

Each input gets its own token prefix (``cb007`` is payload 7 in a customer's message body), so a
failure names the input and the payload. Pages are batched: one conversation holds every
payload as a message, one inbox page lists many subjects. See docs/testing-security.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect

from kefu.accounts.services import actor_for_user
from kefu.contacts.services import contact_create
from kefu.conversations import services as conversations
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, Macro
from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from tests.security.xss import SWEEP_SCRIPT, Payload, Probe, load_corpus, off_loop

T = TypeVar("T")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = load_corpus()
# The smallest valid PNG: attachments must really be images, their names are free text.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201d0ae13f10000000049454e44ae426082"
)


@pytest.fixture
def probe(browser: Any, asgi_server: Any) -> Iterator[Callable[[], Probe]]:
    """probe() -> a fresh recording browser context on the live server."""
    made: list[Probe] = []

    def make() -> Probe:
        made.append(Probe(browser, asgi_server.url))
        return made[-1]

    yield make
    for p in made:
        p.close()


def _try(service: Callable[..., T], **kwargs: Any) -> T | None:
    """Call one service; None if it refused the value (which is then never shown)."""
    try:
        return service(**kwargs)
    except KefuError:
        return None


def _pages(page: Any, probe: Probe, first: str, where: str) -> str:
    """Visit ``first`` and every following page of its list; check each one."""
    text, path, n = "", first, 0
    while path:
        n += 1
        assert n <= 50, f"{where}: the pager does not end"
        probe.visit(page, path)
        text += probe.check(page, f"{where} page {n}") + "\n"
        # rel=next where the pager has it; the portal's "Older requests" link has not.
        following = page.locator("a[rel=next], nav.pager a[href*='cursor=']")
        path = following.first.get_attribute("href") if following.count() else ""
        if path and path.startswith("?"):
            path = first.split("?")[0] + path
    return text


# --- conversations: customer requests, agent replies, internal notes, tags, macros, contacts --


def _seed_conversations(
    team_a: Any, agent_a: Any, admin_user: Any, customer_1: Any
) -> dict[str, Any]:
    customer = actor_for_user(customer_1)
    agent = actor_for_user(agent_a)
    admin = actor_for_user(admin_user)

    # One request holds every payload as a customer message, an agent reply and a note.
    first, *rest = CORPUS
    request = conversations.conversation_create(
        contact=customer_1.contact,
        subject="Probe request",
        body=first.block("cb"),
        team=team_a,
        actor=customer,
    )
    for p in rest:
        conversations.message_reply(conversation=request, body=p.block("cb"), actor=customer)
    for p in CORPUS:
        conversations.message_reply(conversation=request, body=p.block("ar"), actor=agent)
        conversations.note_add(conversation=request, body=p.block("nt"), actor=agent)
    # Attachment names are free text too (the bytes must be a real image).
    names = [p.line("fn", limit=120) for p in CORPUS]
    named = [n for n in names if n and "/" not in n and "\\" not in n]
    for chunk in range(0, len(named), 5):
        conversations.message_reply(
            conversation=request,
            body="Screenshots attached.",
            attachments=[UploadedFile(filename=n, content=PNG) for n in named[chunk : chunk + 5]],
            actor=customer,
        )
    # Tags and macros are named by managers; agents see them on every conversation.
    tags = [v for p in CORPUS if (v := p.line("tg", limit=50)) and "," not in v]
    tags = [t for t in tags if _try(conversations.tag_save, name=t, actor=admin)]
    conversations.conversation_set_tags(conversation=request, names=tags, actor=agent)
    macros: dict[str, Payload] = {}
    for p in CORPUS:
        if name := p.line("mc", limit=100):
            conversations.macro_save(
                name=name, body_en=p.block("me"), body_zh=p.block("mz"), actor=admin
            )
            macros[name] = p
    # Subjects of the customer's other requests (listed in the portal and the inbox).
    subjects = [v for p in CORPUS if (v := p.line("cs", limit=200))]
    for s in subjects:
        conversations.conversation_create(
            contact=customer_1.contact,
            subject=s,
            body="Subject probe.",
            team=team_a,
            actor=customer,
        )
    # Contacts created by an integration: name, email, exchange account id and phone.
    system = Actor.system("test")
    contact_fields: list[str] = []
    for p in CORPUS:
        quoted = f'"{p.token("ce")}{p.text}"@example.com'
        email = quoted.lower() if re.fullmatch(r'"[^"\\\s]+"@example\.com', quoted) else None
        try:
            contact = contact_create(
                name=p.line("cn", limit=120) or p.token("cn"),
                email=email,
                uid=p.line("cu", limit=64) or p.token("cu"),
                phone=p.line("cp", limit=32) or "",
                actor=system,
            )
        except KefuError:  # the email was not valid after all: the rest still must show
            contact = contact_create(
                name=p.line("cn", limit=120) or p.token("cn"),
                uid=p.line("cu", limit=64) or p.token("cu"),
                phone=p.line("cp", limit=32) or "",
                actor=system,
            )
        contact_fields += [contact.name, contact.uid or "", contact.phone, contact.email or ""]
        conversations.conversation_create(
            contact=contact, subject=f"Contact probe {p.number}", body="Hello.", actor=system
        )
    return {
        "request": request,
        "named": named,
        "tags": tags,
        "macros": macros,
        "subjects": subjects,
        "contact_fields": contact_fields,
    }


def test_conversation_inputs_never_run_for_staff_or_customers(
    probe: Callable[[], Probe],
    team_a: Any,
    agent_a: Any,
    supervisor: Any,
    admin_user: Any,
    customer_1: Any,
) -> None:
    seed = off_loop(lambda: _seed_conversations(team_a, agent_a, admin_user, customer_1))
    request, named, tags = seed["request"], seed["named"], seed["tags"]
    macros, subjects, contact_fields = seed["macros"], seed["subjects"], seed["contact_fields"]
    assert len(tags) > 60
    assert sum("@example.com" in f for f in contact_fields) > 20

    staff = probe()
    staff.sign_in(supervisor)
    page = staff.new_page()

    # The workspace conversation page: every message, note, file name, tag and macro name.
    staff.visit(page, f"/agent/c/{request.pk}/")
    shown = [p.token(k) for p in CORPUS for k in ("cb", "ar", "nt")] + named + tags
    staff.check(page, "workspace conversation", show=shown)
    options = page.locator("#macro-select option").all_text_contents()
    assert set(macros) <= set(options)
    # A macro's text goes into the reply box as text, whatever it contains.
    for name, p in macros.items():
        if "textarea" not in p.text:
            continue
        macro = Macro.objects.get(name=name)
        staff.visit(page, f"/agent/c/{request.pk}/?macro={macro.pk}")
        staff.check(page, f"macro {name!r} inserted")
        value = page.get_by_label("Reply to the customer").input_value()
        assert value == p.block("me")

    # The inbox, every page: subjects, customer names, tags.
    text = _pages(page, staff, "/agent/?view=all", "workspace inbox")
    missing = [s for s in subjects if " ".join(s.split()) not in text]
    assert missing == []
    names_shown = [n for n in contact_fields[0::4] if n]
    assert [n for n in names_shown if " ".join(n.split()) not in text] == []

    # Each contact's profile beside their conversation.
    for conversation in Conversation.objects.filter(subject__startswith="Contact probe"):
        contact = conversation.contact
        staff.visit(page, f"/agent/c/{conversation.pk}/state")
        # Email and phone are masked until an agent asks to see them; workspace.js (which the
        # full page loads) then puts the value the server returns into the page: reveal each.
        page.add_script_tag(url="/static/workspace/workspace.js")
        shows = page.locator("form[data-reveal-form] button")
        for _ in range(shows.count()):
            shows.first.click()
        expect(page.locator("[data-reveal-value].ws-masked")).to_have_count(0)
        staff.check(
            page,
            f"contact {contact.pk} profile",
            show=[v for v in (contact.name, contact.uid, contact.phone, contact.email) if v],
        )

    # Tag and macro management pages, and the audit log that records their names.
    admin_view = probe()
    admin_view.sign_in(admin_user)
    back = admin_view.new_page()
    admin_view.visit(back, "/agent/manage/tags/")
    admin_view.check(back, "tag list", show=tags)
    admin_view.visit(back, "/agent/manage/macros/")
    admin_view.check(back, "macro list", show=macros)
    _pages(back, admin_view, "/agent/manage/audit/", "audit log")

    # The customer's portal: their requests, then the request with replies but no notes.
    portal = probe()
    portal.sign_in(customer_1)
    mine = portal.new_page()
    text = _pages(mine, portal, "/requests/", "portal request list")
    assert [s for s in subjects if " ".join(s.split()) not in text] == []
    portal.visit(mine, f"/requests/{request.pk}/")
    portal.check(
        mine,
        "portal request",
        show=[p.token(k) for p in CORPUS for k in ("cb", "ar")] + named,
        hide=[p.token("nt") for p in CORPUS],
    )


# --- help center, status page, contact page, teams: written by staff, read by everyone ------


def _nospace(text: str) -> str:
    return "".join(text.split())


def _published(*, section: Any, slug: str, actor: Actor, **fields: Any) -> Any:
    """Create an English article and publish it; its live translation."""
    from kefu.helpcenter.services import article_create, article_publish

    draft = article_create(section=section, slug=slug, language="en", actor=actor, **fields)
    return article_publish(translation=draft, actor=actor)


# Help-center text refuses control characters (other than tab and line breaks) outright.
KB_CORPUS = [p for p in CORPUS if not any(ord(c) < 32 and c not in "\n\r\t" for c in p.text)]


def _seed_public_pages(admin_user: Any, customer_1: Any) -> dict[str, Any]:
    from kefu.accounts.services import team_save
    from kefu.helpcenter.services import (
        article_create,
        article_feedback,
        article_publish,
        article_translation_save,
        category_save,
        contact_option_save,
        section_save,
    )
    from kefu.status import services as status_services

    admin = actor_for_user(admin_user)
    category = category_save(
        slug="probe",
        names={"en": CORPUS[0].line("kc") or "", "zh-hans": CORPUS[1].line("kc") or ""},
        descriptions={"en": CORPUS[8].line("kd") or ""},
        actor=admin,
    )
    section = section_save(
        category=category,
        slug="probe-section",
        names={"en": CORPUS[29].line("ks") or "", "zh-hans": "探针"},
        actor=admin,
    )
    # One article whose body holds every payload (Markdown, the editor's own language), with a
    # second draft revision on top so the history has something to show.
    body = "\n\n".join(p.block("kb") for p in KB_CORPUS)
    draft = article_create(
        section=section,
        slug="probe-body",
        language="en",
        title="Probe body",
        body=body,
        summary="Every payload in the body.",
        actor=admin,
    )
    big = article_publish(translation=draft, actor=admin)
    article_translation_save(
        article=big.article,
        language="en",
        title="Probe body",
        body=body + "\n\nEdited.",
        summary="Every payload in the body.",
        actor=admin,
    )
    # One article per payload: the title and summary are listed on the category page, in
    # search results and in the search box's suggestions.
    titles: list[str] = []
    summaries: list[str] = []
    for p in CORPUS:
        title = p.line("kt", limit=200)
        summary = p.line("ku", limit=300) or p.token("ku")
        live = title and _try(
            _published,
            section=section,
            slug=f"probe-{p.number}",
            title=title,
            body="Probe article.",
            summary=summary,
            actor=admin,
        )
        if live:
            titles.append(live.title)
            summaries.append(summary)
    # Readers' comments on the big article, shown to staff on its feedback page.
    comments = []
    for p in KB_CORPUS:
        feedback = article_feedback(
            translation=big,
            helpful=p.number % 2 == 0,
            comment=f"{p.token('fb')} {p.text}",
            voter=f"voter-{p.number}",
            actor=Actor.system("reader"),
        )
        comments.append(feedback.comment)
    # Status: one open incident per payload (titles in the banner and on the status page),
    # and one incident whose timeline holds every payload as an update.
    incident_titles: list[str] = []
    for p in CORPUS:
        incident = status_services.incident_create(
            kind="incident",
            title_en=p.line("it", limit=200) or p.token("it"),
            title_zh=p.line("iz", limit=200) or p.token("iz"),
            impact="minor",
            # Status bodies refuse control characters (other than line breaks) outright.
            body_en=p.block("ib") if p in KB_CORPUS else p.token("ib"),
            actor=admin,
        )
        incident_titles.append(incident.title_en)
    timeline = status_services.incident_create(
        kind="incident", title_en="Probe timeline", impact="major", body_en="Start.", actor=admin
    )
    for p in KB_CORPUS:
        status_services.incident_update(
            incident=timeline, state="identified", body_en=p.block("iu"), actor=admin
        )
    # Official contact options (contact page, chat widget); the link must stay harmless.
    options: list[Any] = []
    for p in CORPUS:
        label = p.line("cl", limit=80) or p.token("cl")
        for url in (p.text, "mailto:help@example.com?x=" + _nospace(p.text), ""):
            try:
                options.append(
                    contact_option_save(
                        kind="other",
                        label_en=label,
                        label_zh=label,
                        value=p.line("cv", limit=200) or p.token("cv"),
                        url=url,
                        hours_note_en=p.line("ch", limit=200) or "",
                        notice_en=p.line("cx", limit=300) or "",
                        order=p.number,
                        actor=admin,
                    )
                )
                break
            except KefuError:
                continue
    # Teams (and their skills): in every conversation's team menu, the inbox and the back office.
    teams = []
    for p in CORPUS:
        name = p.line("tm", limit=80)
        skill = p.line("sk", limit=60) or ""
        team = name and _try(team_save, name=name, languages=["en"], skills=[skill], actor=admin)
        if team:
            teams.append(team)
    conversation = conversations.conversation_create(
        contact=customer_1.contact,
        subject="Team probe",
        body="Which team?",
        team=teams[0],
        actor=actor_for_user(customer_1),
    )
    return {
        "big": big,
        "titles": titles,
        "summaries": summaries,
        "comments": comments,
        "incident_titles": incident_titles,
        "timeline": timeline,
        "options": options,
        "teams": teams,
        "conversation": conversation,
    }


def test_help_center_status_and_contact_inputs_never_run(
    probe: Callable[[], Probe], admin_user: Any, customer_1: Any
) -> None:
    seed = off_loop(lambda: _seed_public_pages(admin_user, customer_1))
    titles, summaries, comments = seed["titles"], seed["summaries"], seed["comments"]
    options, teams = seed["options"], seed["teams"]
    assert len(titles) > 60
    assert len(options) == len(CORPUS)
    assert len(teams) > 60
    # Official links are limited to https, mailto, tel and this site's paths.
    assert not [o.url for o in options if o.url and not re.match(r"(?i)(mailto:|/)", o.url)]

    # Anyone reading the help center.
    reader = probe()
    page = reader.new_page()
    reader.visit(page, "/help/en/")
    reader.check(page, "help center home + status banner", show=seed["incident_titles"])
    reader.visit(page, "/help/en/categories/probe/")
    reader.check(page, "category page", show=titles + summaries)
    reader.visit(page, f"/help/en/articles/{seed['big'].article.slug}/")
    reader.check(page, "article body", show=[p.token("kb") for p in KB_CORPUS])
    reader.visit(page, "/help/en/search/?q=probe")
    text = reader.check(page, "search results")
    assert "kt0" in text or "Probe body" in text
    # The search box's suggestions are built in the browser from the search API's JSON.
    reader.visit(page, "/help/en/")
    box = page.locator("form.hc-search input[name=q]")
    for query in ("probe article", "kt0", "script", "img onerror"):
        box.fill(query)
        expect(page.locator(".hc-suggestions li").first).to_be_visible()
        reader.check(page, f"search suggestions for {query!r}")
    reader.visit(page, "/help/en/status/")
    reader.check(page, "status page", show=seed["incident_titles"])
    reader.visit(page, f"/help/en/status/incidents/{seed['timeline'].pk}/")
    reader.check(page, "incident timeline", show=[p.token("iu") for p in KB_CORPUS])
    reader.visit(page, "/help/zh-hans/status/")
    reader.check(page, "status page (Chinese)")
    reader.visit(page, "/help/en/contact/")
    reader.check(
        page, "contact page", show=[o.label_en for o in options] + [o.value for o in options]
    )

    # A customer's new-request form suggests articles as the subject is typed.
    customer = probe()
    customer.sign_in(customer_1)
    form = customer.new_page()
    customer.visit(form, "/requests/new")
    for query in ("probe article", "script"):
        form.locator("[name=subject]").fill(query)
        expect(form.locator("#request-suggestions li").first).to_be_visible()
        customer.check(form, f"request form suggestions for {query!r}")

    # Staff: the editor's preview (server-rendered, then re-rendered in the browser as the
    # editor types), the revision history, readers' feedback, the back office lists.
    staff = probe()
    staff.sign_in(admin_user)
    desk = staff.new_page()
    slug = seed["big"].article.slug
    staff.visit(desk, f"/agent/kb/a/{slug}/en/edit")
    staff.check(desk, "article editor preview", show=[p.token("kb") for p in KB_CORPUS])
    with desk.expect_response(lambda r: "/agent/kb/preview" in r.url):
        desk.locator("textarea[name=body]").press("End")
        desk.locator("textarea[name=body]").type(" typed")
    expect(desk.locator("#kb-preview")).to_contain_text("typed")
    staff.check(desk, "article editor live preview", show=[p.token("kb") for p in KB_CORPUS])
    staff.visit(desk, f"/agent/kb/a/{slug}/en/history/1")
    staff.check(desk, "article revision", show=[p.token("kb") for p in KB_CORPUS])
    text = _pages(desk, staff, f"/agent/kb/a/{slug}/feedback?comments=1", "article feedback")
    assert [c for c in comments if " ".join(c.split()) not in text] == []
    _pages(desk, staff, "/agent/kb/", "knowledge base list")
    staff.visit(desk, "/agent/manage/teams/")
    staff.check(desk, "team list", show=[t.name for t in teams])
    staff.visit(desk, "/agent/manage/contacts/")
    staff.check(desk, "contact option list", show=[o.label_en for o in options])
    staff.visit(desk, "/agent/manage/incidents/")
    staff.check(desk, "incident list")
    staff.visit(desk, f"/agent/c/{seed['conversation'].pk}/")
    staff.check(desk, "conversation with a probe team")
    menu = desk.locator("#conversation-aside select[name=team] option").all_text_contents()
    assert {t.name for t in teams} <= {" ".join(o.split()) for o in menu} | set(menu)
    _pages(desk, staff, "/agent/?view=all", "inbox with a probe team")


ATOM = "{http://www.w3.org/2005/Atom}"


def _seed_incidents(admin_user: Any, payloads: list[Payload]) -> list[str]:
    from kefu.status import services as status_services

    admin = actor_for_user(admin_user)
    titles = []
    for p in payloads:
        incident = status_services.incident_create(
            kind="incident",
            title_en=p.line("ft", limit=200) or p.token("ft"),
            impact="minor",
            body_en=p.block("fb"),
            actor=admin,
        )
        titles.append(incident.title_en)
    return titles


def test_status_feed_entries_never_run(probe: Callable[[], Probe], admin_user: Any) -> None:
    """The Atom feed of status updates: well-formed whatever the titles hold, and each entry's
    HTML (which feed readers render) harmless once rendered. Control characters have a test
    of their own (below)."""
    titles = off_loop(lambda: _seed_incidents(admin_user, KB_CORPUS))
    reader = probe()
    page = reader.new_page()
    feed = page.request.get(f"{reader.base_url}/help/en/status/feed.atom")
    assert feed.status == 200
    # The feed is this test's own server's: no untrusted XML here.
    entries = ElementTree.fromstring(feed.body()).findall(f"{ATOM}entry")  # noqa: S314
    assert len(entries) >= 10
    # An entry's title is "<incident title>: <state>".
    assert {(e.findtext(f"{ATOM}title") or "").rsplit(": ", 1)[0] for e in entries} <= set(titles)
    html = "".join(f"<article>{e.findtext(f'{ATOM}summary') or ''}</article>" for e in entries)
    reader.context.route(
        "**/probe-feed",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    reader.visit(page, "/probe-feed")
    reader.check(page, "status feed entries rendered")


def test_status_feed_survives_a_control_character_in_an_update(
    probe: Callable[[], Probe], admin_user: Any
) -> None:
    """New bodies with control characters are refused; one already stored (written before they
    were) is dropped from the feed's XML instead of breaking the feed for every reader."""
    from kefu.core.errors import ValidationFailed
    from kefu.status.models import IncidentUpdate

    control = [p for p in CORPUS if p not in KB_CORPUS]
    assert control  # the corpus has payloads with control characters
    with pytest.raises(ValidationFailed):
        off_loop(lambda: _seed_incidents(admin_user, control[:1]))

    def stored_with_control() -> None:
        _seed_incidents(admin_user, KB_CORPUS[:1])
        IncidentUpdate.objects.update(body_en="Delayed\x0c withdrawals\x01 resume soon.")

    off_loop(stored_with_control)
    page = probe().new_page()
    feed = page.request.get("/help/en/status/feed.atom")
    assert feed.status == 200
    entries = ElementTree.fromstring(feed.body()).findall(f"{ATOM}entry")  # noqa: S314
    assert "Delayed withdrawals resume soon." in "".join(
        e.findtext(f"{ATOM}summary") or "" for e in entries
    )


# --- live chat: the widget on a host page and the agent's live conversation page --------------

CONFIRMED = "[data-testid=kefu-message][data-seq]"
LIVE_TIMEOUT_MS = 60_000  # a hundred-odd messages pushed over one socket on a shared machine
WIDGET_SHARE = 3  # every third payload for the widget's lists (contacts, incidents, articles)


def _seed_chat_site(team_a: Any, admin_user: Any) -> dict[str, Any]:
    from kefu.helpcenter.services import (
        category_save,
        contact_option_save,
        section_save,
    )
    from kefu.inbox.models import ChatSite
    from kefu.inbox.sites import chat_site_save
    from kefu.status import services as status_services

    admin = actor_for_user(admin_user)
    site = chat_site_save(
        name=CORPUS[0].line("sn", limit=120) or "",
        allowed_origins=[],
        identity_required=False,
        team=team_a,
        greeting_en=CORPUS[8].line("sg", limit=300) or "",
        greeting_zh=CORPUS[9].line("sz", limit=300) or "",
        is_active=True,
        actor=admin,
    )
    ChatSite.objects.filter(pk=site.pk).update(key="demo-site")  # the demo host page's site
    share = CORPUS[::WIDGET_SHARE]
    for p in share:
        label = p.line("wl", limit=80) or p.token("wl")
        contact_option_save(
            kind="other",
            label_en=label,
            label_zh=label,
            value=p.line("wv", limit=200) or "",
            order=p.number,
            actor=admin,
        )
        status_services.incident_create(
            kind="incident",
            title_en=p.line("wi", limit=200) or p.token("wi"),
            impact="major",
            body_en="Probe.",
            actor=admin,
        )
    category = category_save(slug="chat", names={"en": "Chat", "zh-hans": "聊天"}, actor=admin)
    section = section_save(
        category=category, slug="chat-help", names={"en": "Help", "zh-hans": "帮助"}, actor=admin
    )
    for p in KB_CORPUS[::WIDGET_SHARE]:
        title = p.line("wt", limit=200)
        if title:
            _try(
                _published,
                section=section,
                slug=f"chat-{p.number}",
                title=f"withdrawal {title}",
                body="Withdrawal probe.",
                actor=admin,
            )
    return {"site": site}


def _chat_both_ways(conversation_pk: int, agent_a: Any, admin_user: Any) -> list[str]:
    """Every payload from the visitor (through the chat service, as the socket handler does)
    and from the agent, whose display name changes to a payload before each reply."""
    from kefu.accounts.services import staff_update
    from kefu.inbox.adapters.webchat.services import chat_message_send, visitor_actor
    from kefu.inbox.models import ChatVisitor

    conversation = Conversation.objects.get(pk=conversation_pk)
    visitor = ChatVisitor.objects.get(contact=conversation.contact)
    admin = actor_for_user(admin_user)
    names: list[str] = []
    for p in CORPUS:
        chat_message_send(
            visitor=visitor,
            key=f"probe-{p.number:04d}",
            body=p.block("vm"),
            conversation_id=conversation.pk,
            actor=visitor_actor(visitor),
        )
        name = p.line("an", limit=100) or p.token("an")
        agent = staff_update(user=agent_a, display_name=name, actor=admin)
        names.append(agent.display_name)
        conversations.message_reply(
            conversation=conversation, body=p.block("va"), actor=actor_for_user(agent)
        )
    return names


def _chat_visitors(site_pk: int) -> list[str]:
    """A visitor per payload who gives it as their name (and email, where it is one)."""
    from kefu.inbox.adapters.webchat.services import (
        chat_message_send,
        visitor_actor,
        visitor_start,
        visitor_update,
    )
    from kefu.inbox.models import ChatSite

    site = ChatSite.objects.get(pk=site_pk)
    names = []
    for p in CORPUS:
        visitor = visitor_start(site=site, identity=None, token=None, language="en")
        actor = visitor_actor(visitor)
        visitor = visitor_update(
            visitor=visitor, name=p.line("vn", limit=120) or p.token("vn"), actor=actor
        )
        email = f"{p.token('ve')}{_nospace(p.text)}@example.com"
        _try(visitor_update, visitor=visitor, email=email, actor=actor)
        chat_message_send(
            visitor=visitor, key=f"visitor-{p.number:04d}", body="Hello.", actor=actor
        )
        names.append(visitor.name)
    return names


def test_live_chat_inputs_never_run(
    probe: Callable[[], Probe], team_a: Any, agent_a: Any, admin_user: Any
) -> None:
    seed = off_loop(lambda: _seed_chat_site(team_a, admin_user))

    # The visitor on a host page: the widget shows the site's greeting, official contacts,
    # open incidents, and suggestions while the first message is typed.
    visitor = probe()
    page = visitor.new_page()
    visitor.visit(page, "/chat/demo/")
    page.get_by_test_id("kefu-launcher").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_visible()
    first = CORPUS[0]
    page.get_by_test_id("kefu-input").fill(f"withdrawal {first.line('vm')}")
    expect(page.get_by_test_id("kefu-suggestion").first).to_be_visible()
    visitor.check(
        page,
        "chat widget before the first message",
        show=[seed["site"].greeting_en]
        + [p.line("wl", limit=80) or p.token("wl") for p in CORPUS[::WIDGET_SHARE]],
    )
    page.get_by_test_id("kefu-input").press("Enter")
    expect(page.locator(CONFIRMED)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    conversation = Conversation.objects.get(channel="chat")

    # The agent has the conversation open while everything arrives live.
    staff = probe()
    staff.sign_in(admin_user)
    desk = staff.new_page()
    staff.visit(desk, f"/agent/c/{conversation.pk}/")
    names = off_loop(lambda: _chat_both_ways(conversation.pk, agent_a, admin_user))
    expected = 1 + 2 * len(CORPUS)
    expect(page.locator(CONFIRMED)).to_have_count(expected, timeout=LIVE_TIMEOUT_MS)
    last = CORPUS[-1].token("va")
    expect(desk.get_by_text(last).first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    tokens = [p.token(k) for p in CORPUS for k in ("vm", "va")]
    visitor.check(page, "chat widget, messages pushed live", show=tokens)
    shown_names = page.get_by_test_id("kefu-message-name").all_text_contents()
    assert {" ".join(n.split()) for n in names} <= {" ".join(n.split()) for n in shown_names}
    staff.check(desk, "agent's conversation, messages pushed live", show=tokens)

    # The same after a reload: the widget fetches the latest history (the last HISTORY
    # messages), the agent's page renders every message.
    from kefu.inbox.adapters.webchat.session import HISTORY

    page.reload()
    page.get_by_test_id("kefu-launcher").click()
    expect(page.locator(CONFIRMED)).to_have_count(HISTORY, timeout=LIVE_TIMEOUT_MS)
    visitor.check(page, "chat widget history", show=tokens[-HISTORY:])
    staff.visit(desk, f"/agent/c/{conversation.pk}/")
    staff.check(desk, "agent's conversation, reloaded", show=tokens)

    # Visitors' names (and emails) in the agent's inbox.
    visitor_names = off_loop(lambda: _chat_visitors(seed["site"].pk))
    text = _pages(desk, staff, "/agent/?view=all", "inbox of chat visitors")
    assert [n for n in visitor_names if " ".join(n.split()) not in text] == []


# --- the probe itself -------------------------------------------------------------------------


def test_probe_catches_the_corpus_when_nothing_escapes_it(browser: Any, asgi_server: Any) -> None:
    """Control: the same payloads pasted raw into a page must set the probe off, or the tests
    above would pass for nothing. Most run at once; the rest only break out of a context
    (an attribute, a script string, a template) or only run on a click: the sweep or the
    marker must still catch most of the corpus."""
    raw = "\n".join(f'<div id="p{p.number}">{p.text}</div>' for p in CORPUS)
    probe = Probe(browser, asgi_server.url)
    try:
        probe.context.route(
            "**/probe-raw",
            lambda route: route.fulfill(
                status=200, content_type="text/html", body=f"<!doctype html><body>{raw}</body>"
            ),
        )
        page = probe.new_page()
        probe.visit(page, "/probe-raw")
        with pytest.raises(AssertionError, match="script ran"):
            probe.check(page, "raw corpus")
        fired = {int(m) for m in re.findall(r"marker (\d+)", " ".join(probe.fired))}
        fired |= {int(m) for m in re.findall(r"XSSFIRED-(\d+)", " ".join(probe.fired))}
        assert len(fired) >= len(CORPUS) // 3, sorted(fired)
        assert {1, 9}.issubset(fired)  # <script> and <img onerror>
        findings = " ".join(page.evaluate(SWEEP_SCRIPT))
        for kind in ("event handler", "script URL", "srcdoc", "element: <iframe", "meta refresh"):
            assert kind in findings
    finally:
        probe.close()


# --- reflected: query parameters shown back on the page ---------------------------------------

REFLECTED = [
    "/help/en/search/?q={}",  # the help-center search results page
    "/help/en/contact/?tz={}",  # the contact page's time-zone choice
    "/trust/check/?value={}",  # the official-channel check (400 for a malformed value)
    "/agent/?view=all&q={}",  # the workspace inbox search
    "/agent/kb/?q={}",  # the knowledge-base list search
]


def test_reflected_query_text_never_runs(probe: Callable[[], Probe], supervisor: Any) -> None:
    """Query parameters a link can carry, echoed on the page: every payload, each on one of the
    pages in turn (every payload on every page would cost minutes, not coverage)."""
    viewer = probe()
    viewer.sign_in(supervisor)
    page = viewer.new_page()
    for n, p in enumerate(CORPUS):
        path = REFLECTED[n % len(REFLECTED)].format(quote(p.text, safe=""))
        response = page.goto(path, wait_until="load")
        assert response is not None
        assert response.status in (200, 400), (path, response.status)
        viewer.check(page, f"{path.split('?')[0]} with payload {p.number}")
    assert viewer.pages_checked == len(CORPUS)


# --- escalation reasons, calendar names, official channels: more text one user writes --------


def _seed_staff_texts(
    team_a: Any, supervisor: Any, admin_user: Any, customer_1: Any
) -> dict[str, Any]:
    from kefu.sla.services import calendar_save
    from kefu.trust.services import official_channel_save

    boss = actor_for_user(supervisor)
    admin = actor_for_user(admin_user)
    # Escalation reasons (L1 -> L2 -> L3: two per conversation), ten payloads per reason.
    reasons = [
        "\n".join(p.line("er") or p.token("er") for p in CORPUS[i : i + 10])[:2000]
        for i in range(0, len(CORPUS), 10)
    ]
    escalated: list[int] = []
    for i in range(0, len(reasons), 2):
        conversation = conversations.conversation_create(
            contact=customer_1.contact,
            subject=f"Escalation probe {i}",
            body="Please escalate.",
            team=team_a,
            actor=actor_for_user(customer_1),
        )
        for reason in reasons[i : i + 2]:
            conversations.conversation_escalate(
                conversation=conversation, reason=reason, actor=boss
            )
        escalated.append(conversation.pk)
    calendars = []
    for p in CORPUS:
        if (name := p.line("cal", limit=100)) and _try(
            calendar_save,
            name=name,
            timezone="UTC",
            always_open=True,
            weekly_hours={},
            is_default=False,
            actor=admin,
        ):
            calendars.append(name)
    channels = []
    for p in CORPUS:
        label = p.line("oc", limit=100) or p.token("oc")
        if _try(
            official_channel_save,
            kind="domain",
            value=f"probe{p.number:03d}.example.org",
            label_en=label,
            label_zh=label,
            note=p.line("on", limit=300) or "",
            actor=admin,
        ):
            channels.append((f"probe{p.number:03d}.example.org", label))
    tokens = [p.token("er") for p in CORPUS]
    return {"escalated": escalated, "tokens": tokens, "calendars": calendars, "channels": channels}


def test_escalation_reasons_calendars_and_official_channels_never_run(
    probe: Callable[[], Probe],
    team_a: Any,
    supervisor: Any,
    admin_user: Any,
    customer_1: Any,
) -> None:
    seed = off_loop(lambda: _seed_staff_texts(team_a, supervisor, admin_user, customer_1))
    assert len(seed["channels"]) > 60
    staff = probe()
    staff.sign_in(supervisor)
    page = staff.new_page()
    # Escalation reasons in the timelines supervisors read.
    shown = ""
    for pk in seed["escalated"]:
        staff.visit(page, f"/agent/c/{pk}/")
        shown += staff.check(page, f"escalations of conversation {pk}")
    assert [t for t in seed["tokens"] if t not in shown] == []
    staff.visit(page, "/agent/manage/calendars/")
    staff.check(page, "calendar list", show=seed["calendars"])
    # Official channels: the admin's registry, and the public check naming what a value is.
    admin_view = probe()
    admin_view.sign_in(admin_user)
    back = admin_view.new_page()
    admin_view.visit(back, "/agent/manage/official-channels/")
    admin_view.check(back, "official channel list", show=[label for _, label in seed["channels"]])
    reader = probe()
    public = reader.new_page()
    for value, label in seed["channels"][::10]:
        reader.visit(public, f"/trust/check/?value={quote(value)}")
        reader.check(public, f"check result for {value}", show=[label])
