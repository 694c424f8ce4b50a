"""The knowledge base's structure page: who sees it, who changes it, the forms' errors, and the
list's query count."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kefu.accounts.models import KbRole, Role
from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.helpcenter.models import Category, Section
from kefu.helpcenter.services import articles as kb
from kefu.testing import factories
from kefu.workspace.tests.conftest import flashes, login
from kefu.workspace.tests.test_kb_browser import CHROMIUM, _page

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    """Flash messages and form errors are asserted in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def category(db) -> Category:
    return kb.category_save(
        slug="account", names={"en": "Account", "zh-hans": "账户"}, position=1, actor=SYSTEM
    )


@pytest.fixture
def other_category(db) -> Category:
    return kb.category_save(
        slug="funding", names={"en": "Funding", "zh-hans": "充值"}, position=2, actor=SYSTEM
    )


@pytest.fixture
def section(category) -> Section:
    return kb.section_save(
        category=category,
        slug="security",
        names={"en": "Security", "zh-hans": "安全"},
        actor=SYSTEM,
    )


@pytest.fixture
def author(db):
    return factories.StaffFactory(
        email="author@kefu.test", role=Role.AGENT_L1, kb_role=KbRole.AUTHOR
    )


@pytest.fixture
def editor(db):
    return factories.StaffFactory(
        email="editor@kefu.test", role=Role.AGENT_L1, kb_role=KbRole.EDITOR
    )


def url(path: str = "") -> str:
    return f"/agent/kb/structure{path}"


def structure() -> tuple[object, ...]:
    """Everything a structure write could change, to assert that nothing did."""
    return (
        list(
            Category.objects.order_by("id").values_list("slug", "names", "descriptions", "position")
        ),
        list(
            Section.objects.order_by("id").values_list(
                "category_id", "slug", "names", "descriptions", "position"
            )
        ),
        AuditEntry.objects.count(),
    )


def category_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "slug": "trading",
        "position": "3",
        "names_en": "Trading",
        "names_zh-hans": "交易",
        "descriptions_en": "Orders and fees.",
        "descriptions_zh-hans": "",
    }
    data.update(overrides)
    return data


def section_data(**overrides: object) -> dict[str, object]:
    data = category_data(slug="orders", names_en="Orders", **{"names_zh-hans": "订单"})
    data.update(overrides)
    return data


def publish_article(section: Section, slug: str, *, live: bool = True) -> None:
    tr = kb.article_create(
        section=section, slug=slug, language="en", title=slug, body="Text", actor=SYSTEM
    )
    if live:
        kb.article_publish(translation=tr, actor=SYSTEM)


# --- who may enter ----------------------------------------------------------------------------


def pages(category: Category, section: Section) -> list[str]:
    return [
        url(),
        url("/categories/new"),
        url(f"/categories/{category.pk}/edit"),
        url(f"/categories/{category.pk}/sections/new"),
        url(f"/sections/{section.pk}/edit"),
    ]


def test_agent_without_kb_role_gets_403_on_lists_and_404_on_one_row(agent_a, section):
    client = login(agent_a)
    category = section.category

    assert client.get(url()).status_code == 403
    assert client.get(url("/categories/new")).status_code == 403
    assert client.get(url(f"/categories/{category.pk}/edit")).status_code == 404
    assert client.get(url(f"/categories/{category.pk}/sections/new")).status_code == 404
    assert client.get(url(f"/sections/{section.pk}/edit")).status_code == 404
    assert client.get(url("/sections/999999/edit")).status_code == 404  # the same answer


def test_agent_without_kb_role_cannot_change_anything(agent_a, section):
    client = login(agent_a)
    before = structure()

    for path in pages(section.category, section)[1:]:
        response = client.post(path, section_data(category=str(section.category_id)))
        assert response.status_code in (403, 404), path
        assert b"Account" not in response.content

    assert structure() == before


def test_customer_gets_404(customer_1, section):
    client = login(customer_1)

    for path in pages(section.category, section):
        assert client.get(path).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, section):
    response = client.get(url())

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- authors: read only -----------------------------------------------------------------------


def test_author_sees_the_structure_without_edit_controls(author, section):
    response = login(author).get(url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Account" in page
    assert "账户" in page
    assert "Security" in page
    assert "安全" in page
    assert 'class="ws-mono">security<' in page
    assert "/edit" not in page
    assert "/new" not in page.replace("/agent/kb/new", "")
    assert "Only editors create and change categories and sections." in page


def test_author_cannot_open_the_forms_or_post_them(author, section):
    client = login(author)
    before = structure()

    for path in pages(section.category, section)[1:]:
        assert client.get(path).status_code == 403, path
        response = client.post(path, section_data(category=str(section.category_id)))
        assert response.status_code == 403, path

    assert structure() == before


def test_the_services_refuse_authors_too(author, category):
    from kefu.accounts.services import actor_for_user
    from kefu.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        kb.category_save(slug="sneaky", names={"en": "Sneaky"}, actor=actor_for_user(author))
    assert not Category.objects.filter(slug="sneaky").exists()


# --- editors and supervisors ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["editor", "supervisor"])
def test_editors_and_supervisors_create_and_edit_categories_and_sections(request, who, db):
    client = login(request.getfixturevalue(who))

    form = client.get(url("/categories/new")).content.decode()
    assert 'name="names_en"' in form
    assert 'name="names_zh-hans"' in form
    assert "Name (English)" in form
    assert "Name (简体中文)" in form
    assert "Description (简体中文)" in form
    response = client.post(url("/categories/new"), category_data())

    assert response.status_code == 302
    created = Category.objects.get(slug="trading")
    assert response["Location"] == url(f"#category-{created.pk}")
    assert (created.names, created.descriptions, created.position) == (
        {"en": "Trading", "zh-hans": "交易"},
        {"en": "Orders and fees."},
        3,
    )
    assert flashes(client.get(response["Location"])) == ["Category created."]

    response = client.post(url(f"/categories/{created.pk}/sections/new"), section_data())

    assert response.status_code == 302
    section = Section.objects.get(slug="orders")
    assert response["Location"] == url(f"#section-{section.pk}")
    assert (section.category_id, section.names) == (created.pk, {"en": "Orders", "zh-hans": "订单"})
    assert flashes(client.get(response["Location"])) == ["Section created."]

    edit = url(f"/categories/{created.pk}/edit")
    assert 'value="Trading"' in client.get(edit).content.decode()
    response = client.post(edit, category_data(slug="spot-trading", position="0"))

    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.slug, created.position) == ("spot-trading", 0)
    assert flashes(client.get(response["Location"])) == ["Category saved."]

    response = client.post(
        url(f"/sections/{section.pk}/edit"),
        section_data(category=str(created.pk), **{"names_zh-hans": "", "descriptions_en": ""}),
    )

    assert response.status_code == 302
    section.refresh_from_db()
    assert (section.names, section.descriptions) == ({"en": "Orders"}, {})
    assert flashes(client.get(response["Location"])) == ["Section saved."]
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-4:] == [
        "kb.category_created",
        "kb.section_created",
        "kb.category_updated",
        "kb.section_updated",
    ]


def test_editor_sees_edit_controls_and_live_article_counts(editor, section, other_category):
    publish_article(section, "reset-2fa")
    publish_article(section, "lost-phone")
    publish_article(section, "a-draft", live=False)
    empty = kb.section_save(
        category=other_category, slug="deposits", names={"en": "Deposits"}, actor=SYSTEM
    )

    response = login(editor).get(url())

    page = response.content.decode()
    rows = {s["slug"]: s for c in response.context["categories"] for s in c["sections"]}
    assert (rows["security"]["live_articles"], rows["deposits"]["live_articles"]) == (2, 0)
    assert [c["slug"] for c in response.context["categories"]] == ["account", "funding"]
    assert f'href="/agent/kb/structure/sections/{section.pk}/edit"' in page
    assert f'href="/agent/kb/structure/categories/{section.category_id}/edit"' in page
    assert f'href="/agent/kb/structure/categories/{other_category.pk}/sections/new"' in page
    assert 'href="/agent/kb/structure/categories/new"' in page
    assert "No name in 简体中文 yet" in page  # "deposits" has only an English name
    assert empty.pk


def test_new_forms_suggest_the_next_position(editor, section):
    client = login(editor)

    assert client.get(url("/categories/new")).context["form"].initial["position"] == 2
    new_section = client.get(url(f"/categories/{section.category_id}/sections/new"))
    assert new_section.context["form"].initial["position"] == 1
    assert "In the category Account" in new_section.content.decode()


def test_a_section_moves_to_another_category(editor, section, other_category):
    edit = url(f"/sections/{section.pk}/edit")
    page = login(editor).get(edit).content.decode()
    assert f'<option value="{other_category.pk}">Funding</option>' in page

    response = login(editor).post(
        edit,
        section_data(
            category=str(other_category.pk),
            slug="security",
            names_en="Security",
            **{"names_zh-hans": "安全"},
        ),
    )

    assert response.status_code == 302
    section.refresh_from_db()
    assert section.category_id == other_category.pk
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "kb.section_updated"
    assert entry.data["category"] == "funding"


def test_moving_onto_a_taken_slug_is_refused(editor, section, other_category):
    kb.section_save(category=other_category, slug="security", names={"en": "Sec"}, actor=SYSTEM)
    before = structure()

    response = login(editor).post(
        url(f"/sections/{section.pk}/edit"),
        section_data(category=str(other_category.pk), slug="security"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == [
        "Another section in this category already uses this slug."
    ]
    assert structure() == before


def test_unknown_category_in_the_chooser_is_a_field_error(editor, section):
    before = structure()

    response = login(editor).post(
        url(f"/sections/{section.pk}/edit"), section_data(category="999999")
    )

    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert structure() == before


def test_duplicate_category_slug_shows_on_the_slug_field(editor, category):
    before = structure()

    response = login(editor).post(url("/categories/new"), category_data(slug="account"))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors == {"slug": ["Another category already uses this slug."]}
    assert "Another category already uses this slug." in response.content.decode()
    assert structure() == before


def test_duplicate_section_slug_in_the_category_shows_on_the_slug_field(editor, section):
    before = structure()

    response = login(editor).post(
        url(f"/categories/{section.category_id}/sections/new"), section_data(slug="security")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "slug": ["Another section in this category already uses this slug."]
    }
    assert structure() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"names_en": ""}, "names_en"),
        ({"names_en": "   "}, "names_en"),
        ({"names_en": "x" * 10_000}, "names_en"),
        ({"names_zh-hans": "长" * 10_000}, "names_zh-hans"),
        ({"descriptions_en": "x" * 10_000}, "descriptions_en"),
        ({"names_en": "Bell\x07"}, "names_en"),
        ({"names_en": "Null\x00"}, "names_en"),
        ({"names_zh-hans": "交易\x1b[31m"}, "names_zh-hans"),
        ({"descriptions_zh-hans": "说\x0b明"}, "descriptions_zh-hans"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"slug": "x" * 81}, "slug"),
        ({"position": "-1"}, "position"),
        ({"position": "40000"}, "position"),
        ({"position": "first"}, "position"),
    ],
)
@pytest.mark.parametrize("form", ["category", "section"])
def test_bad_input_is_a_field_error_and_writes_nothing(editor, section, form, overrides, field):
    path = (
        url("/categories/new")
        if form == "category"
        else url(f"/categories/{section.category_id}/sections/new")
    )
    before = structure()

    response = login(editor).post(path, category_data(**overrides))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert structure() == before


def test_every_field_error_shows_at_once(editor, db):
    response = login(editor).post(
        url("/categories/new"), category_data(slug="Bad Slug", names_en="", position="x")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "slug": ["Use lowercase letters, digits and single hyphens."],
        "position": ["Enter a whole number."],
        "names_en": ["This field is required."],
    }
    assert not Category.objects.exists()


def test_slug_is_lowercased_like_the_service_does(editor, db):
    response = login(editor).post(url("/categories/new"), category_data(slug=" Trading "))

    assert response.status_code == 302
    assert Category.objects.get().slug == "trading"


def test_editing_with_bad_input_keeps_the_saved_values(editor, section):
    before = structure()

    response = login(editor).post(
        url(f"/sections/{section.pk}/edit"),
        section_data(category=str(section.category_id), names_en="Tab\x01"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "names_en": ["Remove the control characters from this field."]
    }
    assert 'value="Tab' in response.content.decode()  # what was typed is kept
    assert structure() == before


def test_form_fields_follow_the_help_languages(editor, settings):
    settings.KEFU_HELP_LANGUAGES = ["en", "zh-hans", "ja"]

    page = login(editor).get(url("/categories/new")).content.decode()

    assert "Name (日本語)" in page
    assert 'name="descriptions_ja"' in page
    assert 'lang="ja"' in page


# --- links and language -----------------------------------------------------------------------


def test_article_list_links_to_the_structure(author, section):
    page = login(author).get("/agent/kb/").content.decode()

    assert 'href="/agent/kb/structure"' in page


def test_new_article_page_without_sections_links_to_the_structure(author, db):
    page = login(author).get("/agent/kb/new").content.decode()

    assert "There are no sections yet." in page
    assert 'href="/agent/kb/structure"' in page


def test_structure_in_chinese_shows_chinese_names_first(editor, section):
    editor.language = "zh-hans"
    editor.save(update_fields=["language"])

    response = login(editor).get(url())

    category = response.context["categories"][0]
    assert (category["name"]["text"], category["other_names"][0]["text"]) == ("账户", "Account")
    page = response.content.decode()
    assert "分类和栏目" in page
    assert page.index("账户") < page.index("Account")


# --- query count ------------------------------------------------------------------------------


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_categories(start: int, stop: int) -> None:
    for n in range(start, stop):
        category = kb.category_save(slug=f"cat-{n}", names={"en": f"Cat {n}"}, actor=SYSTEM)
        for m in range(2):
            section = kb.section_save(
                category=category, slug=f"sec-{m}", names={"en": f"Sec {m}"}, actor=SYSTEM
            )
            publish_article(section, f"article-{n}-{m}")


def test_list_query_count_does_not_grow_with_categories(author, db):
    client = login(author)
    _add_categories(0, 2)
    client.get(url())  # warm up the session and the caches
    two = _list_queries(client)
    _add_categories(2, 6)

    six = _list_queries(client)

    assert six == two


# --- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed")
def test_structure_pages_pass_axe_and_fit_a_phone(browser, live_server, transactional_db):
    from axe_playwright_python.sync_playwright import Axe

    user = factories.StaffFactory(email="kb.editor@kefu.test", kb_role=KbRole.EDITOR)
    category = kb.category_save(slug="account", names={"en": "Account"}, actor=SYSTEM)
    section = kb.section_save(
        category=category,
        slug="security",
        names={"en": "Security", "zh-hans": "安全"},
        actor=SYSTEM,
    )
    kb.category_save(slug="empty", names={"en": "Nothing here yet"}, actor=SYSTEM)
    axe = Axe()
    page = _page(browser, live_server, user, viewport={"width": 375, "height": 740})
    for path in (
        "",
        "/categories/new",
        f"/categories/{category.pk}/edit",
        f"/categories/{category.pk}/sections/new",
        f"/sections/{section.pk}/edit",
    ):
        response = page.goto(f"{live_server.url}{url(path)}")
        assert response is not None
        assert response.status == 200, path
        violations = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert violations == [], path
        assert page.locator("h1").count() == 1, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path

    page.fill("#id_names_en", "Safety")
    page.click("form.kb-form button[type=submit]")
    page.wait_for_selector("text=Section saved.")
    assert page.url.endswith(url(f"#section-{section.pk}"))
    assert page.console_errors == []  # CSP violations are console errors too
