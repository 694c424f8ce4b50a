"""The search service over the database: incremental sync through the change log (as a second
process would see it), the public API, deflection tokens, import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.core.errors import ValidationFailed
from kefu.helpcenter import searching
from kefu.helpcenter.models import Article, ArticleRevision, SearchIndexChange, SuggestionShown
from kefu.helpcenter.services import article_translation_save, article_unpublish
from kefu.helpcenter.transfer import kb_export, kb_import, split_front_matter

DEMO_KB = Path(__file__).resolve().parent.parent / "demo_kb"


@pytest.fixture
def sync_every_search(settings):
    settings.KEFU_HELP_SEARCH_SYNC_SECONDS = 0


def slugs(results):
    return [r.slug for r in results]


def test_publish_in_this_process_is_searchable_at_once(
    publish_article, django_capture_on_commit_callbacks
):
    searching.get_index()  # built before the publish
    with django_capture_on_commit_callbacks(execute=True):
        publish_article("memo", "en", "Deposit without a memo", "Forgot the memo tag.")
    assert slugs(searching.kb_search("memo", language="en")) == ["memo"]


def test_another_process_catches_up_from_the_change_log(publish_article, sync_every_search):
    publish_article("memo", "en", "Deposit without a memo", "Forgot the memo tag.")
    searching.get_index()
    # Simulate a publish on another node: rows written, no on-commit call in this process.
    article = Article.objects.get(slug="memo")
    tr = article.translations.get(language="en")
    tr.title = "Lost memo"
    tr.search_text = "A deposit with a lost memo."
    tr.save()
    SearchIndexChange.objects.create(translation_id=tr.pk)
    assert searching.kb_search("lost", language="en")[0].title == "Lost memo"


def test_unpublished_articles_leave_the_index(publish_article, system_actor, sync_every_search):
    live = publish_article("hacked", "en", "Account hacked", "Freeze your account.")
    assert slugs(searching.kb_search("hacked", language="en")) == ["hacked"]
    article_unpublish(translation=live, actor=system_actor)
    assert searching.kb_search("hacked", language="en") == []


def test_a_draft_edit_does_not_change_search_until_published(
    publish_article, system_actor, sync_every_search
):
    live = publish_article("fees", "en", "Trading fees", "Maker and taker fees.")
    article_translation_save(
        article=live.article, language="en", title="Card fees", body="Card", actor=system_actor
    )
    assert searching.kb_search("card", language="en") == []
    assert slugs(searching.kb_search("trading fees", language="en")) == ["fees"]


def test_sync_is_throttled(publish_article, settings):
    settings.KEFU_HELP_SEARCH_SYNC_SECONDS = 3600
    publish_article("one", "en", "Withdrawal pending", "Body")
    searching.get_index()
    article = Article.objects.get(slug="one")
    tr = article.translations.get(language="en")
    tr.title = "Renamed elsewhere"
    tr.save()
    SearchIndexChange.objects.create(translation_id=tr.pk)
    assert searching.kb_search("renamed", language="en") == []  # not yet synced
    searching.get_index(force_sync=True)
    assert slugs(searching.kb_search("renamed", language="en")) == ["one"]


def test_results_carry_urls_and_respect_limit(publish_article):
    for i in range(5):
        publish_article(f"w{i}", "en", f"Withdrawal case {i}", "withdrawal")
    results = searching.kb_search("withdrawal", language="en", limit=3)
    assert len(results) == 3
    assert all(r.url == f"/help/en/articles/{r.slug}/" for r in results)


def test_unknown_language_falls_back_to_default(publish_article):
    publish_article("one", "en", "Withdrawal pending", "Body")
    assert slugs(searching.kb_search("withdrawal", language="xx")) == ["one"]


# --- API and deflection ---------------------------------------------------------------------


def test_api_search_without_source_records_nothing(client, publish_article):
    publish_article("one", "en", "Withdrawal pending", "Body")
    data = client.get("/help/api/search", {"q": "withdrawal", "lang": "en"}).json()
    assert [r["title"] for r in data["results"]] == ["Withdrawal pending"]
    assert data["token"] is None
    assert not SuggestionShown.objects.exists()


def test_api_suggestions_record_shown_opened_and_submitted(client, publish_article):
    live = publish_article("one", "en", "Withdrawal pending", "Body")
    response = client.get(
        "/help/api/search", {"q": "withdrawal", "lang": "en", "source": "request_form"}
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    token = data["token"]
    row = SuggestionShown.objects.get(token=token)
    assert row.article_ids == [live.article_id]
    assert row.source == "request_form"
    assert data["results"][0]["url"] == f"/help/en/articles/one/?s={token}"
    client.get(data["results"][0]["url"])
    row.refresh_from_db()
    assert row.opened_article_id == live.article_id
    assert row.submitted is False
    posted = client.post(
        "/help/api/suggestions/submitted", json.dumps({"token": token}), "application/json"
    )
    assert posted.status_code == 204
    row.refresh_from_db()
    assert row.submitted is True


def test_api_no_results_no_token(client, db):
    data = client.get("/help/api/search", {"q": "nothing here", "source": "widget"}).json()
    assert data == {"results": [], "token": None}
    assert not SuggestionShown.objects.exists()


def test_api_bad_input_never_errors(client, publish_article):
    publish_article("one", "en", "Withdrawal pending", "Body")
    for params in ({"q": "x" * 10_000}, {"limit": "abc", "q": "withdrawal"}, {"limit": "-5"}):
        assert client.get("/help/api/search", params).status_code == 200
    assert (
        client.post("/help/api/suggestions/submitted", "{not json", "application/json").status_code
        == 204
    )
    assert client.post("/help/api/search").status_code == 405
    assert client.options("/help/api/search").status_code == 204


def test_api_is_rate_limited(client, db, settings):
    for _ in range(300):
        client.get("/help/api/search", {"q": "x"})
    response = client.get("/help/api/search", {"q": "x"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


# --- import / export ------------------------------------------------------------------------


def test_demo_kb_imports_with_enough_articles_in_each_language(db, system_actor):
    report = kb_import(root=DEMO_KB, actor=system_actor)
    assert report.articles_created >= 40
    for language in ("en", "zh-hans"):
        live = Article.objects.filter(
            translations__language=language, translations__published_revision__isnull=False
        ).count()
        assert live >= 40, language
    assert Article.objects.get(slug="lost-2fa").related.exists()
    assert slugs(searching.kb_search("lost 2fa", language="en", limit=1)) == ["lost-2fa"]
    assert slugs(searching.kb_search("谷歌验证器丢了", language="zh-hans", limit=1)) == ["lost-2fa"]


def test_export_then_import_round_trips_without_new_revisions(
    tmp_path, publish_article, system_actor
):
    publish_article("one", "en", "Withdrawal: pending", "## Steps\n1. Wait\n", tags=["a", "b"])
    publish_article("one", "zh-hans", "提现处理中", "等待。")
    assert kb_export(root=tmp_path) == 2
    meta, body = split_front_matter((tmp_path / "articles/one/en.md").read_text())
    assert meta["title"] == "Withdrawal: pending"
    assert meta["section"] == "withdrawals/issues"
    assert meta["tags"] == ["a", "b"]
    assert body == "## Steps\n1. Wait\n"
    before = ArticleRevision.objects.count()
    report = kb_import(root=tmp_path, actor=system_actor)
    assert report.unchanged == 2
    assert ArticleRevision.objects.count() == before


def test_a_bad_file_aborts_the_whole_import(db, tmp_path, system_actor):
    (tmp_path / "articles/good").mkdir(parents=True)
    (tmp_path / "articles/zbad").mkdir(parents=True)
    (tmp_path / "categories.yaml").write_text(
        "categories:\n  - slug: c\n    names: {en: C}\n"
        "    sections:\n      - slug: s\n        names: {en: S}\n"
    )
    (tmp_path / "articles/good/en.md").write_text("---\ntitle: Good\nsection: c/s\n---\nBody\n")
    (tmp_path / "articles/zbad/en.md").write_text("---\ntitle: Bad\nsection: c/nope\n---\nBody\n")
    with pytest.raises(ValidationFailed) as info:
        kb_import(root=tmp_path, actor=system_actor)
    assert "articles/zbad/en.md" in info.value.message
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "no front matter",
        "---\ntitle: [unclosed\n---\nx",
        "---\n- a list\n---\nx",
        "---\ntitle: x\n",
    ],
)
def test_front_matter_errors_are_clear(text):
    with pytest.raises(ValidationFailed):
        split_front_matter(text)


def test_one_typing_session_is_one_record(client, publish_article):
    publish_article("one", "en", "Withdrawal pending", "Body")
    publish_article("two", "en", "Withdrawal fees", "Body")
    first = client.get(
        "/help/api/search", {"q": "withdrawal", "source": "widget", "prefix": "1"}
    ).json()["token"]
    again = client.get(
        "/help/api/search",
        {"q": "withdrawal pending", "source": "widget", "prefix": "1", "token": first},
    ).json()["token"]
    assert again == first
    row = SuggestionShown.objects.get()
    assert row.query == "withdrawal pending"
    # After submitting, the same token starts a new record.
    client.post("/help/api/suggestions/submitted", json.dumps({"token": first}), "application/json")
    later = client.get(
        "/help/api/search", {"q": "withdrawal", "source": "widget", "token": first}
    ).json()["token"]
    assert later != first
    assert SuggestionShown.objects.count() == 2


def test_warm_up_is_off_in_tests_and_builds_the_index_when_on(transactional_db, settings):
    from kefu.core.actor import Actor
    from kefu.helpcenter.services import (
        article_create,
        article_publish,
        category_save,
        section_save,
    )

    actor = Actor.system("test")
    category = category_save(slug="c", names={"en": "C"}, actor=actor)
    section = section_save(category=category, slug="s", names={"en": "S"}, actor=actor)
    translation = article_create(
        section=section, slug="a", language="en", title="Warm", body="Body", actor=actor
    )
    article_publish(translation=translation, actor=actor)
    assert searching.warm_in_background() is None
    settings.KEFU_HELP_SEARCH_WARM = True
    thread = searching.warm_in_background()
    assert thread is not None
    thread.join(timeout=30)
    assert len(searching.get_index()) == 1
