"""Public help-center pages: language URLs, hreflang/canonical/OG, drafts hidden, feedback,
search, sitemap, images."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from kefu.conversations.attachments import UploadedFile
from kefu.helpcenter.models import ArticleFeedback, ArticleTranslation
from kefu.helpcenter.services import article_create, article_image_add
from kefu.helpcenter.tests.test_kb_services import PNG


@pytest.fixture
def pair(publish_article):
    en = publish_article(
        "withdrawal-pending",
        "en",
        "Withdrawal pending",
        "## Why it waits\nA **risk review** can hold a withdrawal.",
        tags=["withdrawal"],
        summary="What a pending withdrawal means.",
    )
    zh = publish_article("withdrawal-pending", "zh-hans", "提现处理中", "## 原因\n风控审核。")
    return en, zh


def test_help_root_redirects_to_the_visitors_language(client, db):
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/help/zh-hans/"
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").headers["Location"] == "/help/en/"


def test_unknown_language_is_404(client, db):
    assert client.get("/help/fr/").status_code == 404
    assert client.get("/help/fr/articles/x/").status_code == 404


def test_home_lists_categories_with_live_articles_only(client, pair, kb_section, system_actor):
    article_create(
        section=kb_section,
        slug="secret-draft",
        language="en",
        title="Secret draft",
        body="B",
        actor=system_actor,
    )
    html = client.get("/help/en/").content.decode()
    assert "Withdrawals" in html
    assert "Withdrawal pending" in html
    assert "Secret draft" not in html
    zh = client.get("/help/zh-hans/").content.decode()
    assert "提现处理中" in zh
    assert 'lang="zh-hans"' in zh


def test_article_page_has_seo_tags_and_counts_a_view(client, pair):
    en, _zh = pair
    response = client.get("/help/en/articles/withdrawal-pending/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<link rel="canonical" href="http://testserver/help/en/articles/withdrawal-pending/">'
        in html
    )
    assert (
        'hreflang="zh-hans" href="http://testserver/help/zh-hans/articles/withdrawal-pending/"'
        in html
    )
    assert 'hreflang="x-default"' in html
    assert '<meta property="og:title" content="Withdrawal pending">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'content="What a pending withdrawal means."' in html
    assert '<h2 id="why-it-waits">Why it waits</h2>' in html
    assert response["Content-Language"] == "en"
    en.refresh_from_db()
    assert en.view_count == 1


def test_article_only_in_one_language_has_no_alternate(client, publish_article):
    publish_article("only-en", "en", "Only English", "Body")
    html = client.get("/help/en/articles/only-en/").content.decode()
    assert 'hreflang="zh-hans"' not in html
    assert client.get("/help/zh-hans/articles/only-en/").status_code == 404


def test_draft_and_unpublished_articles_are_404(client, kb_section, system_actor):
    article_create(
        section=kb_section,
        slug="draft",
        language="en",
        title="Draft",
        body="B",
        actor=system_actor,
    )
    assert client.get("/help/en/articles/draft/").status_code == 404


def test_article_body_is_sanitised(client, publish_article):
    publish_article(
        "xss",
        "en",
        "XSS",
        "<script>alert(1)</script>\n\n[link](javascript:alert(1))\n\n![x](https://evil.example/p.png)",
    )
    html = client.get("/help/en/articles/xss/").content.decode()
    body = html.split('class="hc-body">', 1)[1].split("</div>", 1)[0]
    assert "<script>" not in body
    assert 'href="javascript:' not in body
    assert "evil.example" not in body


def test_feedback_is_recorded_once_per_visitor(client, pair):
    en, _zh = pair
    url = "/help/en/articles/withdrawal-pending/feedback"
    response = client.post(url, {"helpful": "no", "comment": "Add the time it takes"})
    assert response.status_code == 302
    client.post(url, {"helpful": "yes"})
    assert ArticleFeedback.objects.filter(translation=en).count() == 1
    en.refresh_from_db()
    assert (en.helpful_yes, en.helpful_no) == (1, 0)
    assert client.post(url, {"helpful": "maybe"}).status_code == 302
    assert ArticleFeedback.objects.count() == 1


def test_feedback_requires_csrf(pair):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/help/en/articles/withdrawal-pending/feedback", {"helpful": "yes"})
    assert response.status_code == 403
    assert not ArticleFeedback.objects.exists()


def test_search_page_finds_articles_user_language_first(client, pair, publish_article):
    publish_article("withdrawal-fees", "en", "Withdrawal fees", "Each withdrawal pays a fee.")
    html = client.get("/help/zh-hans/search/", {"q": "withdrawal 提现"}).content.decode()
    first_zh = html.find("提现处理中")
    other_language = html.find(">Withdrawal fees<")
    assert 0 < first_zh < other_language
    # One article is listed once, in the reader's language.
    assert ">Withdrawal pending<" not in html


@pytest.mark.parametrize("query", ["", "   ", "!!!???", "\x00\x01\x02", "a" * 10_000, "😀" * 50])
def test_search_page_bad_queries_answer_200(client, pair, query):
    response = client.get("/help/en/search/", {"q": query})
    assert response.status_code == 200


def test_search_page_survives_invalid_utf8(client, pair):
    assert client.get("/help/en/search/?q=%ED%A0%80%FF").status_code == 200


def test_sitemap_lists_live_articles_with_alternates(client, pair, publish_article):
    publish_article("only-en", "en", "Only English", "Body")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own sitemap
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    assert "http://testserver/help/en/articles/withdrawal-pending/" in locs
    assert "http://testserver/help/zh-hans/articles/withdrawal-pending/" in locs
    assert "http://testserver/help/en/articles/only-en/" in locs
    assert "http://testserver/help/zh-hans/articles/only-en/" not in locs
    entry = next(
        u
        for u in root.findall("s:url", ns)
        if u.findtext("s:loc", namespaces=ns).endswith("/en/articles/withdrawal-pending/")
    )
    assert {link.get("hreflang") for link in entry.findall("x:link", ns)} == {"en", "zh-hans"}


def test_category_page(client, pair):
    response = client.get("/help/en/categories/withdrawals/")
    assert response.status_code == 200
    assert "Withdrawal issues" in response.content.decode()
    assert client.get("/help/en/categories/nope/").status_code == 404


def test_images_public_once_live_and_private_before(
    client, kb_section, system_actor, publish_article
):
    draft = article_create(
        section=kb_section, slug="img", language="en", title="Img", body="B", actor=system_actor
    )
    image = article_image_add(
        article=draft.article, upload=UploadedFile("chart.png", PNG), actor=system_actor
    )
    url = f"/help/media/{image.pk}/chart.png"
    assert client.get(url).status_code == 404
    publish_article("img", "en", "Img", "B")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert client.get(f"/help/media/{image.pk}/other.png").status_code == 404


def test_article_page_query_count_is_small(client, pair, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/help/en/articles/withdrawal-pending/")


def test_every_page_escapes_the_query(client, pair):
    html = client.get("/help/en/search/", {"q": '<img src=x onerror="alert(1)">'}).content.decode()
    assert '<img src=x onerror="alert(1)">' not in html
    assert re.search(r"&lt;img src=x onerror=", html)


def test_published_rows_exist(pair):
    assert ArticleTranslation.objects.filter(published_revision__isnull=False).count() == 2


def test_adding_a_language_is_configuration(client, settings, publish_article):
    settings.KEFU_HELP_LANGUAGES = ["en", "zh-hans", "ja"]
    publish_article("hello", "ja", "こんにちは", "本文")
    response = client.get("/help/ja/articles/hello/")
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    settings.KEFU_HELP_LANGUAGES = ["en", "zh-hans"]
    assert client.get("/help/ja/articles/hello/").status_code == 404


def test_related_articles_chosen_first_then_same_section(client, publish_article, system_actor):
    from kefu.helpcenter.selectors import public_related
    from kefu.helpcenter.services import article_update

    main = publish_article("main", "en", "Main", "Body")
    for slug in ("n1", "n2", "chosen"):
        publish_article(slug, "en", slug.upper(), "Body")
    publish_article("zh-only", "zh-hans", "只有中文", "正文")
    article_update(article=main.article, related_slugs=["chosen"], actor=system_actor)
    related = [tr.article.slug for tr in public_related(main, limit=3)]
    assert related == ["chosen", "n1", "n2"]
    html = client.get("/help/en/articles/main/").content.decode()
    aside = html.split('class="hc-related"', 1)[1]
    assert aside.index("CHOSEN") < aside.index("N1")
    assert "只有中文" not in aside


def test_article_links_are_cached_until_the_next_publish(
    client, publish_article, system_actor, django_capture_on_commit_callbacks
):
    from kefu.helpcenter.services import article_unpublish

    with django_capture_on_commit_callbacks(execute=True):
        main = publish_article("main", "en", "Main", "Body")
        other = publish_article("other", "en", "Other article", "Body")
    assert "Other article" in client.get("/help/en/articles/main/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        article_unpublish(translation=other, actor=system_actor)
    assert "Other article" not in client.get("/help/en/articles/main/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        publish_article("main", "zh-hans", "主要", "正文")
    html = client.get("/help/en/articles/main/").content.decode()
    assert 'hreflang="zh-hans"' in html
    assert main.pk


def test_home_shows_the_first_articles_per_category_with_counts(
    client, publish_article, django_assert_max_num_queries
):
    for i in range(5):
        publish_article(f"w{i}", "en", f"Withdrawal topic {i}", "Body")
    with django_assert_max_num_queries(8):
        html = client.get("/help/en/").content.decode()
    assert "Withdrawal topic 0" in html
    assert "Withdrawal topic 2" in html
    assert "Withdrawal topic 3" not in html  # three per category on the home page
    assert "All 5 articles" in html
    page = client.get("/help/en/categories/withdrawals/").content.decode()
    assert "Withdrawal topic 4" in page
