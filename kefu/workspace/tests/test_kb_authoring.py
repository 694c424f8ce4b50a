"""Knowledge-base authoring in the workspace: who may do what, the editor, history and diffs,
conflicts, the live preview, images, feedback and the list's query count."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kefu.accounts.models import KbRole, Role
from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.helpcenter.models import (
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
)
from kefu.helpcenter.services import articles as kb
from kefu.helpcenter.staff_selectors import line_diff, revision_diff
from kefu.testing import factories
from kefu.workspace.tests.conftest import PNG, flashes, login

SYSTEM = Actor.system("test")
BODY = "Open **Security**.\n\nline two\nline three\n"


@pytest.fixture(autouse=True)
def _english():
    """Flash messages and service errors are asserted in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def section(db):
    category = kb.category_save(
        slug="account", names={"en": "Account", "zh-hans": "账户"}, actor=SYSTEM
    )
    names = {"en": "Security", "zh-hans": "安全"}
    return kb.section_save(category=category, slug="security", names=names, actor=SYSTEM)


def make_article(section, slug="reset-2fa", title="Reset your 2FA", body=BODY, **kwargs):
    return kb.article_create(
        section=section, slug=slug, language="en", title=title, body=body, actor=SYSTEM, **kwargs
    )


@pytest.fixture
def draft(section) -> ArticleTranslation:
    return make_article(section, tags=["2fa", "security"])


@pytest.fixture
def live(draft) -> ArticleTranslation:
    return kb.article_publish(translation=draft, actor=SYSTEM)


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


def url(path: str) -> str:
    return f"/agent/kb/{path}"


def state_of(tr: ArticleTranslation) -> tuple[object, ...]:
    fresh = ArticleTranslation.objects.get(pk=tr.pk)
    return (
        fresh.state,
        fresh.current_revision_id,
        fresh.published_revision_id,
        fresh.article.related.count(),
        ArticleRevision.objects.filter(translation=fresh).count(),
        ArticleImage.objects.count(),
    )


def edit_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Reset your 2FA",
        "summary": "",
        "tags": "2fa, security",
        "body": BODY,
        "note": "",
        "base_revision": 1,
        "action": "save",
    }
    data.update(overrides)
    return data


# --- who may enter ----------------------------------------------------------------------------

GET_PAGES = [
    "",
    "review",
    "new",
    "a/reset-2fa/",
    "a/reset-2fa/feedback",
    "a/reset-2fa/en/edit",
    "a/reset-2fa/zh-hans/edit",
    "a/reset-2fa/en/history",
    "a/reset-2fa/en/history/1",
]
POSTS = [
    ("new", {"section": "1", "slug": "sneaky", "language": "en", "title": "T", "body": "B"}),
    ("preview", {"body": "# Hello"}),
    ("a/reset-2fa/en/edit", edit_data(body="Sneaky edit")),
    ("a/reset-2fa/en/submit", {}),
    ("a/reset-2fa/en/publish", {}),
    ("a/reset-2fa/en/unpublish", {}),
    ("a/reset-2fa/en/restore", {"revision": "1"}),
    ("a/reset-2fa/related", {"related": "other"}),
]


@pytest.mark.parametrize("path", GET_PAGES)
def test_agent_without_kb_role_cannot_open_kb_pages(agent_a, live, path):
    response = login(agent_a).get(url(path))

    assert response.status_code in (403, 404)
    assert b"Reset your 2FA" not in response.content


@pytest.mark.parametrize(("path", "data"), POSTS)
def test_agent_without_kb_role_cannot_change_anything(agent_a, live, path, data):
    before, audit = state_of(live), AuditEntry.objects.count()

    response = login(agent_a).post(url(path), data)

    assert response.status_code in (403, 404)
    assert b"<h2" not in response.content  # the preview rendered nothing
    assert state_of(live) == before
    assert AuditEntry.objects.count() == audit


def test_agent_without_kb_role_cannot_upload_images(agent_a, live):
    response = login(agent_a).post(url("a/reset-2fa/images"), {"image": _png()})

    assert response.status_code == 404
    assert ArticleImage.objects.count() == 0


def test_list_pages_are_403_and_article_pages_404_for_agents(agent_a, live):
    client = login(agent_a)

    assert client.get(url("")).status_code == 403
    assert client.get(url("a/reset-2fa/")).status_code == 404
    assert client.get(url("a/no-such-article/")).status_code == 404  # the same answer


def test_customer_gets_404(customer_1, live):
    assert login(customer_1).get(url("")).status_code == 404


def test_navigation_shows_the_knowledge_base_to_kb_staff_only(agent_a, author):
    link = b'href="/agent/kb/"'

    assert link not in login(agent_a).get("/agent/account/").content
    assert link in login(author).get("/agent/account/").content


# --- authors: create, edit, submit; never publish ---------------------------------------------


def test_author_creates_an_article_as_a_draft(author, section):
    response = login(author).post(
        url("new"),
        {
            "section": str(section.pk),
            "slug": "withdrawal-delays",
            "language": "en",
            "title": "Why withdrawals wait",
            "summary": "Network confirmations.",
            "tags": "withdrawal， Network",
            "body": "Confirmations take time.",
            "action": "save",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("a/withdrawal-delays/en/edit")
    tr = ArticleTranslation.objects.get(article__slug="withdrawal-delays", language="en")
    assert tr.state == ArticleState.DRAFT
    assert tr.published_revision_id is None
    assert tr.current_revision.number == 1
    assert tr.current_revision.tags == ["withdrawal", "network"]
    assert tr.current_revision.author == author
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["kb.article_created", "kb.translation_created"]


def test_new_article_form_shows_the_services_errors(author, section, draft):
    response = login(author).post(
        url("new"),
        {
            "section": str(section.pk),
            "slug": "reset-2fa",
            "language": "en",
            "title": "Duplicate",
            "body": "Text",
        },
    )

    assert response.status_code == 400
    assert "Another article already uses this slug." in response.content.decode()


def test_author_edit_saves_a_new_revision(author, live):
    client = login(author)
    page = client.get(url("a/reset-2fa/en/edit")).content.decode()
    assert 'name="base_revision" value="1"' in page
    assert "<strong>Security</strong>" in page  # the preview, rendered on the server

    response = client.post(
        url("a/reset-2fa/en/edit"), edit_data(body=BODY + "line four\n", note="Add a step")
    )

    assert response.status_code == 302
    assert response["Location"] == url("a/reset-2fa/en/edit")
    tr = ArticleTranslation.objects.get(pk=live.pk)
    assert tr.current_revision.number == 2
    assert tr.current_revision.note == "Add a step"
    assert tr.state == ArticleState.DRAFT
    assert tr.published_revision.number == 1  # customers still read revision 1
    assert flashes(client.get(response["Location"])) == ["Saved as revision 2."]


def test_saving_unchanged_text_makes_no_revision(author, draft):
    client = login(author)
    audit = AuditEntry.objects.count()

    response = client.post(url("a/reset-2fa/en/edit"), edit_data())

    assert ArticleRevision.objects.filter(translation=draft).count() == 1
    assert AuditEntry.objects.count() == audit
    assert flashes(client.get(response["Location"])) == ["Nothing changed since revision 1."]


def test_author_sends_a_draft_for_review(author, draft):
    client = login(author)

    response = client.post(url("a/reset-2fa/en/submit"))

    assert response.status_code == 302
    assert ArticleTranslation.objects.get(pk=draft.pk).state == ArticleState.REVIEW
    assert AuditEntry.objects.filter(action="kb.review_requested").count() == 1
    queue = client.get(url("review")).content.decode()
    assert "Reset your 2FA" in queue
    assert "/agent/kb/a/reset-2fa/en/publish" not in queue  # authors cannot publish


def test_save_and_send_for_review_in_one_go(author, draft):
    response = login(author).post(
        url("a/reset-2fa/en/edit"), edit_data(body="New text", action="submit")
    )

    assert response["Location"] == url("a/reset-2fa/")
    tr = ArticleTranslation.objects.get(pk=draft.pk)
    assert (tr.state, tr.current_revision.number) == (ArticleState.REVIEW, 2)


def test_author_sees_no_publish_button_and_cannot_publish(author, draft):
    client = login(author)
    kb.article_submit_for_review(translation=draft, actor=SYSTEM)
    before, audit = state_of(draft), AuditEntry.objects.count()

    page = client.get(url("a/reset-2fa/")).content.decode()
    response = client.post(url("a/reset-2fa/en/publish"))

    assert "/agent/kb/a/reset-2fa/en/publish" not in page
    assert "/agent/kb/a/reset-2fa/related" not in page
    assert response.status_code == 403
    assert state_of(draft) == before
    assert AuditEntry.objects.count() == audit


def test_author_cannot_unpublish_or_choose_related_articles(author, live, section):
    make_article(section, slug="other", title="Other")
    client = login(author)
    before, audit = state_of(live), AuditEntry.objects.count()

    assert client.post(url("a/reset-2fa/en/unpublish")).status_code == 403
    assert client.post(url("a/reset-2fa/related"), {"related": "other"}).status_code == 403
    assert state_of(live) == before
    assert AuditEntry.objects.count() == audit


# --- editors and supervisors publish ----------------------------------------------------------


@pytest.mark.parametrize("who", ["editor", "supervisor"])
def test_editors_and_supervisors_publish_and_unpublish(request, who, draft):
    client = login(request.getfixturevalue(who))

    page = client.get(url("a/reset-2fa/")).content.decode()
    assert 'action="/agent/kb/a/reset-2fa/en/publish"' in page
    response = client.post(url("a/reset-2fa/en/publish"), {"next": url("a/reset-2fa/")})

    assert response.status_code == 302
    tr = ArticleTranslation.objects.get(pk=draft.pk)
    assert tr.state == ArticleState.PUBLISHED
    assert tr.published_revision_id == tr.current_revision_id
    assert tr.title == "Reset your 2FA"
    assert flashes(client.get(response["Location"])) == ["Revision 1 is published."]

    client.post(url("a/reset-2fa/en/unpublish"))

    tr.refresh_from_db()
    assert (tr.state, tr.published_revision_id) == (ArticleState.UNPUBLISHED, None)
    actions = AuditEntry.objects.filter(action__in=["kb.published", "kb.unpublished"])
    assert sorted(actions.values_list("action", flat=True)) == ["kb.published", "kb.unpublished"]


def test_publishing_the_live_version_again_is_an_error_flash(editor, live):
    client = login(editor)
    audit = AuditEntry.objects.count()

    response = client.post(url("a/reset-2fa/en/publish"))

    assert flashes(client.get(response["Location"])) == ["This version is already published."]
    assert AuditEntry.objects.count() == audit


def test_editor_sets_related_articles(editor, live, section):
    make_article(section, slug="other", title="Other article")
    client = login(editor)

    response = client.post(url("a/reset-2fa/related"), {"related": "other"})

    assert response.status_code == 302
    assert list(live.article.related.values_list("slug", flat=True)) == ["other"]
    assert "Other article" in client.get(url("a/reset-2fa/")).content.decode()


def test_unknown_related_slug_is_shown_next_to_the_field(editor, live):
    response = login(editor).post(url("a/reset-2fa/related"), {"related": "nope, reset-2fa"})

    assert response.status_code == 400
    assert 'value="nope, reset-2fa"' in response.content.decode()
    assert live.article.related.count() == 0


# --- list and badges ---------------------------------------------------------------------------


def test_list_shows_state_badges_views_and_helpfulness(author, live, section):
    kb.article_translation_save(
        article=live.article, language="en", title="Reset your 2FA", body="Changed", actor=SYSTEM
    )
    make_article(section, slug="fees", title="Trading fees")
    ArticleTranslation.objects.filter(pk=live.pk).update(
        view_count=1234, helpful_yes=3, helpful_no=1
    )

    html = login(author).get(url("")).content.decode()

    assert "Live with unpublished changes" in html
    assert '<span class="badge kb-state-draft">Draft</span>' in html
    assert "1234" in html
    assert "75%" in html
    assert "Add the Simplified Chinese translation" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["fees", "reset-2fa"]),
        ("?state=published", []),
        ("?state=live_changed", ["reset-2fa"]),
        ("?state=draft", ["fees", "reset-2fa"]),
        ("?state=missing&language=zh-hans", ["fees", "reset-2fa"]),
        ("?language=zh-hans", []),
        ("?q=fees", ["fees"]),
        ("?q=2FA", ["reset-2fa"]),
    ],
)
def test_list_filters_by_state_language_and_title(author, live, section, query, expected):
    kb.article_translation_save(
        article=live.article, language="en", title="Reset your 2FA", body="Changed", actor=SYSTEM
    )
    make_article(section, slug="fees", title="Trading fees")

    response = login(author).get(url(query))

    assert response.status_code == 200
    assert sorted(r["slug"] for r in response.context["rows"]) == expected


def test_invalid_filter_is_a_400_with_a_message(author, live):
    response = login(author).get(url("?state=bogus"))

    assert response.status_code == 400
    assert "Some filters are not valid." in response.content.decode()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(""))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_articles(author, section):
    client = login(author)
    for n in range(5):
        tr = make_article(section, slug=f"article-{n}", title=f"Article {n}")
        kb.article_translation_save(
            article=tr.article, language="zh-hans", title=f"文章 {n}", body="正文", actor=SYSTEM
        )
    client.get(url(""))  # warm up the session and the caches
    five = _list_queries(client)
    for n in range(5, 20):
        tr = make_article(section, slug=f"article-{n}", title=f"Article {n}")
        kb.article_publish(translation=tr, actor=SYSTEM)

    twenty = _list_queries(client)

    assert five == twenty


# --- history, diff, restore --------------------------------------------------------------------


def test_revision_diff_rows():
    rows = line_diff(["a", "b", "c"], ["a", "B", "c", "d"])

    assert [(r["kind"], r["old_number"], r["new_number"], r["text"]) for r in rows] == [
        ("context", 1, 1, "a"),
        ("remove", 2, None, "b"),
        ("add", None, 2, "B"),
        ("context", 3, 3, "c"),
        ("add", None, 4, "d"),
    ]
    assert line_diff(["same"], ["same"]) == []


def test_revision_diff_leaves_out_far_unchanged_lines():
    old = [f"line {n}" for n in range(20)]
    new = [*old[:10], "changed", *old[11:]]

    rows = line_diff(old, new)

    assert rows[0]["kind"] == "gap"
    assert rows[-1]["kind"] == "gap"
    assert [r["text"] for r in rows if r["kind"] != "gap"] == [
        "line 7", "line 8", "line 9", "line 10", "changed", "line 11", "line 12", "line 13",
    ]  # fmt: skip


def test_revision_diff_covers_title_summary_tags_and_body(draft):
    old = draft.current_revision
    new = ArticleRevision(title="New title", summary="", body=old.body, tags=["2fa", "kyc"])

    blocks = revision_diff(old, new)

    assert [b["field"] for b in blocks] == ["title", "tags"]
    assert [(r["sign"], r["text"]) for r in blocks[1]["rows"]] == [
        (" ", "2fa"),
        ("-", "security"),
        ("+", "kyc"),
    ]
    assert [b["field"] for b in revision_diff(None, old)] == ["title", "tags", "body"]


def test_diff_page_shows_added_and_removed_lines_escaped(author, draft):
    kb.article_translation_save(
        article=draft.article,
        language="en",
        title="Reset your 2FA",
        body="Open **Security**.\n\nline 2 <script>alert(1)</script>\nline three\n",
        tags=["2fa", "security"],
        actor=SYSTEM,
    )

    response = login(author).get(url("a/reset-2fa/en/history/2"))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<tr class="kb-diff-remove">.*?line two</td>', html, re.S)
    added = r'<tr class="kb-diff-add">.*?line 2 &lt;script&gt;alert\(1\)&lt;/script&gt;</td>'
    assert re.search(added, html, re.S)
    assert "<script>alert(1)</script>" not in html
    assert "Changes from revision 1 to revision 2" in html


def test_diff_against_any_revision(author, draft):
    for body in ("middle version", "final version"):
        kb.article_translation_save(
            article=draft.article, language="en", title="Reset your 2FA", body=body, actor=SYSTEM
        )

    html = login(author).get(url("a/reset-2fa/en/history/3?against=1")).content.decode()

    assert "Changes from revision 1 to revision 3" in html
    assert re.search(r'<tr class="kb-diff-add">.*?final version</td>', html, re.S)
    assert "middle version" not in html


def test_history_lists_revisions_with_restore_buttons(author, draft):
    kb.article_translation_save(
        article=draft.article, language="en", title="Second title", body="Two", actor=SYSTEM
    )

    html = login(author).get(url("a/reset-2fa/en/history")).content.decode()

    assert "Second title" in html
    assert "Restore revision 1" in html
    assert "Restore revision 2" not in html  # the working copy


def test_restore_makes_a_new_revision_with_the_old_content(author, live):
    kb.article_translation_save(
        article=live.article, language="en", title="Worse title", body="Worse", actor=SYSTEM
    )
    client = login(author)

    response = client.post(url("a/reset-2fa/en/restore"), {"revision": "1"})

    tr = ArticleTranslation.objects.get(pk=live.pk)
    restored = tr.current_revision
    assert restored.number == 3
    assert (restored.title, restored.body, restored.tags) == (
        "Reset your 2FA",
        BODY.strip(),
        ["2fa", "security"],
    )
    assert restored.note == "Restored revision 1"
    assert tr.state == ArticleState.DRAFT
    assert tr.published_revision.number == 1
    assert flashes(client.get(response["Location"])) == [
        "Revision 1 restored as revision 3, a draft."
    ]


# --- conflicts ---------------------------------------------------------------------------------


def test_stale_base_revision_is_a_conflict_and_writes_nothing(author, editor, draft):
    kb.article_translation_save(
        article=draft.article, language="en", title="Theirs", body="Their text", actor=SYSTEM
    )
    before, audit = state_of(draft), AuditEntry.objects.count()

    response = login(author).post(
        url("a/reset-2fa/en/edit"), edit_data(body="My text", base_revision=1)
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved a newer version (revision 2) while you were editing." in html
    assert "My text</textarea>" in html  # the author's text is kept
    assert state_of(draft) == before
    assert AuditEntry.objects.count() == audit


# --- live preview ------------------------------------------------------------------------------


def test_preview_renders_and_sanitises(author):
    response = login(author).post(
        url("preview"),
        {"body": "# Steps\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **ok**"},
    )

    assert response.status_code == 200
    html = json.loads(response.content)["html"]
    assert '<h2 id="steps">Steps</h2>' in html
    assert "<strong>ok</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html


def test_preview_refuses_staff_without_kb_role_and_get(agent_a, author):
    denied = login(agent_a).post(url("preview"), {"body": "# Hello"})

    assert denied.status_code == 403
    assert "html" not in json.loads(denied.content)
    assert login(author).get(url("preview")).status_code == 405


def test_preview_refuses_bodies_over_100k(author):
    response = login(author).post(url("preview"), {"body": "x" * 100_001})

    assert response.status_code == 422
    assert json.loads(response.content)["error"] == "Use at most 100000 characters."


def test_preview_button_without_javascript_saves_nothing(author, draft):
    response = login(author).post(
        url("a/reset-2fa/en/edit"), edit_data(body="## Draft idea\n\n<b>raw</b>", action="preview")
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="draft-idea">Draft idea</h2>' in html
    assert "<b>raw</b>" not in html
    assert ArticleRevision.objects.filter(translation=draft).count() == 1


# --- translations ------------------------------------------------------------------------------


def test_add_a_missing_translation(author, draft):
    client = login(author)
    page = client.get(url("a/reset-2fa/zh-hans/edit")).content.decode()
    assert "Add the Simplified Chinese translation" in page
    assert "Translate from: Reset your 2FA" in page
    assert 'name="base_revision" value="0"' in page

    response = client.post(
        url("a/reset-2fa/zh-hans/edit"),
        edit_data(title="重置双重验证", body="打开**安全**。", tags="", base_revision=0),
    )

    assert response["Location"] == url("a/reset-2fa/zh-hans/edit")
    tr = ArticleTranslation.objects.get(article=draft.article, language="zh-hans")
    assert (tr.state, tr.current_revision.title) == (ArticleState.DRAFT, "重置双重验证")


def test_unknown_language_is_404(author, draft):
    assert login(author).get(url("a/reset-2fa/fr/edit")).status_code == 404


# --- images ------------------------------------------------------------------------------------


def _png(name: str = "shot.png", content: bytes = PNG):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def test_image_upload_returns_the_markdown_to_insert(author, draft):
    response = login(author).post(
        url("a/reset-2fa/images"),
        {"image": _png("my shot.png"), "alt": "Security [settings]"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    image = ArticleImage.objects.get()
    assert (image.article_id, image.content_type, image.uploaded_by) == (
        draft.article_id,
        "image/png",
        author,
    )
    payload = json.loads(response.content)
    assert payload["markdown"] == f"![Security settings](/help/media/{image.pk}/my%20shot.png)"
    assert AuditEntry.objects.filter(action="kb.image_added").count() == 1


def test_image_upload_without_javascript_flashes_the_markdown(author, draft):
    client = login(author)

    response = client.post(
        url("a/reset-2fa/images"),
        {"image": _png(), "next": url("a/reset-2fa/en/edit")},
    )

    assert response["Location"] == url("a/reset-2fa/en/edit")
    image = ArticleImage.objects.get()
    page = client.get(response["Location"])
    assert flashes(page) == [
        f"Image uploaded. Put this in the text to show it: ![shot](/help/media/{image.pk}/shot.png)"
    ]
    assert f"![shot](/help/media/{image.pk}/shot.png)" in page.content.decode()


def test_a_text_file_named_png_is_refused(author, draft):
    audit = AuditEntry.objects.count()

    response = login(author).post(
        url("a/reset-2fa/images"),
        {"image": _png("evil.png", b"<?php echo 'not an image'; ?>")},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert json.loads(response.content)["ok"] is False
    assert ArticleImage.objects.count() == 0
    assert AuditEntry.objects.count() == audit


# --- feedback and views ------------------------------------------------------------------------


def test_feedback_page_shows_counts_and_comments_newest_first(author, live):
    kb.article_feedback(
        translation=live, helpful=True, comment="Clear steps", voter="v1", actor=SYSTEM
    )
    kb.article_feedback(translation=live, helpful=False, comment="", voter="v2", actor=SYSTEM)
    kb.article_feedback(
        translation=live, helpful=False, comment="Step 3 <b>fails</b>", voter="v3", actor=SYSTEM
    )
    ArticleTranslation.objects.filter(pk=live.pk).update(view_count=42)
    client = login(author)

    html = client.get(url("a/reset-2fa/feedback")).content.decode()

    assert "<td>42</td><td>1</td><td>2</td><td>33%</td>" in html
    assert html.index("Step 3 &lt;b&gt;fails&lt;/b&gt;") < html.index("Clear steps")
    only = client.get(url("a/reset-2fa/feedback?comments=1"))
    assert [f.comment for f in only.context["page"].object_list] == [
        "Step 3 <b>fails</b>",
        "Clear steps",
    ]
    assert ArticleFeedback.objects.count() == 3


def test_article_page_shows_views_and_helpfulness(author, live):
    ArticleTranslation.objects.filter(pk=live.pk).update(view_count=7, helpful_yes=1, helpful_no=1)

    html = login(author).get(url("a/reset-2fa/")).content.decode()

    assert "1 found it helpful, 1 did not (7 page views)" in html
    assert "50%" in html


def test_kb_pages_in_chinese(author, live):
    author.language = "zh-hans"
    author.save(update_fields=["language"])

    html = login(author).get(url("")).content.decode()

    assert ">知识库</a>" in html
    assert "应用筛选" in html
