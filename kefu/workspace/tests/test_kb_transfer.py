"""Knowledge-base zip export and import in the workspace (editors only)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.accounts.models import KbRole, Role
from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.helpcenter.models import Article, ArticleTranslation
from kefu.helpcenter.services import articles as kb
from kefu.testing import factories
from kefu.workspace.tests.conftest import login


@pytest.fixture
def editor(db):
    return factories.StaffFactory(
        email="editor@kefu.test", role=Role.AGENT_L1, kb_role=KbRole.EDITOR
    )


@pytest.fixture
def author(db):
    return factories.StaffFactory(
        email="author@kefu.test", role=Role.AGENT_L1, kb_role=KbRole.AUTHOR
    )


@pytest.fixture
def live_article(db):
    system = Actor.system("test")
    category = kb.category_save(slug="c", names={"en": "C"}, actor=system)
    section = kb.section_save(category=category, slug="s", names={"en": "S"}, actor=system)
    draft = kb.article_create(
        section=section, slug="fees", language="en", title="Fees", body="Body", actor=system
    )
    return kb.article_publish(translation=draft, actor=system)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _upload(client, data: bytes, publish: bool = True):
    payload = {"file": SimpleUploadedFile("kb.zip", data, content_type="application/zip")}
    if publish:
        payload["publish"] = "1"
    return client.post("/agent/kb/import", payload, follow=True)


def test_export_downloads_every_article_and_is_audited(editor, live_article):
    response = login(editor).get("/agent/kb/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == ["articles/fees/en.md", "categories.yaml"]
    assert AuditEntry.objects.filter(action="kb.exported").count() == 1


def test_authors_and_agents_cannot_export_or_import(author, agent_a, live_article):
    for user in (author, agent_a):
        client = login(user)
        assert client.get("/agent/kb/export").status_code in (403, 404)
        assert client.get("/agent/kb/transfer").status_code in (403, 404)
        response = client.post(
            "/agent/kb/import",
            {"file": SimpleUploadedFile("kb.zip", b"x", content_type="application/zip")},
        )
        assert response.status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="kb.exported").exists()


def test_export_then_import_round_trips(editor, live_article):
    client = login(editor)
    data = client.get("/agent/kb/export").content
    response = _upload(client, data)
    assert "1 unchanged" in response.content.decode()
    assert ArticleTranslation.objects.get().current_revision.number == 1


def test_import_creates_and_publishes(editor, db):
    data = _zip(
        {
            "categories.yaml": "categories:\n  - slug: c\n    names: {en: C}\n"
            "    sections:\n      - slug: s\n        names: {en: S}\n",
            "articles/new-one/en.md": "---\ntitle: New one\nsection: c/s\n---\nBody\n",
        }
    )
    response = _upload(login(editor), data)
    assert "1 new articles" in response.content.decode()
    assert ArticleTranslation.objects.get(article__slug="new-one").is_live


@pytest.mark.parametrize(
    "files",
    [
        {"categories.yaml": "categories: []\n", "../evil.md": "x"},
        {"categories.yaml": "categories: []\n", "articles/a/b/c.md": "x"},
        {"articles/x/en.md": "---\ntitle: x\nsection: c/s\n---\nBody\n"},
    ],
)
def test_import_refuses_unexpected_layouts_and_writes_nothing(editor, db, files):
    response = _upload(login(editor), _zip(files))
    assert response.status_code == 200
    assert not Article.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="kb.").exists()


def test_import_refuses_a_file_that_is_not_a_zip(editor, db):
    response = _upload(login(editor), b"not a zip at all")
    assert "not a zip file" in response.content.decode()
    assert not Article.objects.exists()
