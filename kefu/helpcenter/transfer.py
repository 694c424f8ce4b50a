"""Import and export the whole knowledge base as Markdown files with YAML front matter.

Layout (the same in both directions, so an export re-imports unchanged)::

    categories.yaml                       categories and their sections, in order
    articles/<slug>/<language>.md         one file per translation

An article file::

    ---
    title: How to withdraw USDT
    section: withdrawals/withdrawal-guides
    summary: One sentence for search results.
    tags: [withdrawal, usdt]
    related: [withdrawal-pending]
    position: 20
    state: published            # export only; import publishes unless told otherwise
    ---
    Markdown body

Import goes through the same services as the editor (validation, revisions, audit); an
unchanged file creates no revision, so re-importing is idempotent.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.audit.services import audit_record
from kefu.core.actor import Actor
from kefu.core.errors import KefuError, ValidationFailed
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.models import Article, ArticleState, ArticleTranslation, Category, Section
from kefu.helpcenter.services import articles as kb

FRONT = "---"


class KbImportError(ValidationFailed):
    """A file that cannot be imported, named with its path."""


@dataclass
class ImportReport:
    categories: int = 0
    sections: int = 0
    articles_created: int = 0
    revisions: int = 0
    published: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Markdown file that starts with a ``---`` YAML block."""
    text = text.lstrip("\ufeff")
    if not text.startswith(FRONT):
        raise ValidationFailed("missing front matter (the file must start with ---)")
    end = text.find(f"\n{FRONT}", len(FRONT))
    if end < 0:
        raise ValidationFailed("front matter is not closed with ---")
    try:
        meta = yaml.safe_load(text[len(FRONT) : end]) or {}
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ValidationFailed("front matter must be a mapping")
    body = text[end + len(FRONT) + 1 :].lstrip("\n")
    return meta, body


def _read_structure(root: Path, actor: Actor, report: ImportReport) -> dict[str, Section]:
    path = root / "categories.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sections: dict[str, Section] = {}
    for c_pos, raw in enumerate(data.get("categories") or []):
        category = Category.objects.filter(slug=raw.get("slug", "")).first()
        category = kb.category_save(
            category=category,
            slug=raw.get("slug", ""),
            names=raw.get("names") or {},
            descriptions=raw.get("descriptions") or {},
            position=int(raw.get("position", (c_pos + 1) * 10)),
            actor=actor,
        )
        report.categories += 1
        for s_pos, raw_section in enumerate(raw.get("sections") or []):
            section = Section.objects.filter(
                category=category, slug=raw_section.get("slug", "")
            ).first()
            section = kb.section_save(
                section=section,
                category=category,
                slug=raw_section.get("slug", ""),
                names=raw_section.get("names") or {},
                descriptions=raw_section.get("descriptions") or {},
                position=int(raw_section.get("position", (s_pos + 1) * 10)),
                actor=actor,
            )
            sections[f"{category.slug}/{section.slug}"] = section
            report.sections += 1
    return sections


def _import_file(
    path: Path,
    *,
    slug: str,
    language: str,
    sections: dict[str, Section],
    publish: bool,
    actor: Actor,
    report: ImportReport,
) -> list[str]:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    section = sections.get(str(meta.get("section", "")))
    if section is None:
        raise ValidationFailed(f"unknown section {meta.get('section')!r}")
    tags = meta.get("tags") or []
    if not isinstance(tags, list):
        raise ValidationFailed("tags must be a list")
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        article = kb.article_create(
            section=section,
            slug=slug,
            language=language,
            title=str(meta.get("title", "")),
            body=body,
            summary=str(meta.get("summary", "")),
            tags=[str(t) for t in tags],
            position=int(meta.get("position", 0)),
            actor=actor,
        ).article
        report.articles_created += 1
        report.revisions += 1
    else:
        kb.article_update(
            article=article, section=section, position=int(meta.get("position", 0)), actor=actor
        )
        before = ArticleTranslation.objects.filter(article=article, language=language).first()
        old = before.current_revision_id if before else None
        saved = kb.article_translation_save(
            article=article,
            language=language,
            title=str(meta.get("title", "")),
            body=body,
            summary=str(meta.get("summary", "")),
            tags=[str(t) for t in tags],
            note="Imported",
            actor=actor,
        )
        if saved.current_revision_id == old:
            report.unchanged += 1
        else:
            report.revisions += 1
    translation = ArticleTranslation.objects.get(article=article, language=language)
    wanted_state = str(meta.get("state", "published" if publish else "draft"))
    if (
        publish
        and wanted_state == ArticleState.PUBLISHED
        and translation.published_revision_id != translation.current_revision_id
    ):
        kb.article_publish(translation=translation, actor=actor)
        report.published += 1
    related = meta.get("related") or []
    return [str(r) for r in related] if isinstance(related, list) else []


def kb_import(*, root: Path, actor: Actor, publish: bool = True) -> ImportReport:
    """Import ``root`` (see the module docstring) in one transaction: any bad file aborts the
    import with its path in the error, and nothing is written."""
    report = ImportReport()
    root = Path(root)
    if not (root / "categories.yaml").is_file():
        raise ValidationFailed(f"{root / 'categories.yaml'} does not exist")
    with transaction.atomic():
        sections = _read_structure(root, actor, report)
        related: dict[str, list[str]] = {}
        for folder in sorted(p for p in (root / "articles").iterdir() if p.is_dir()):
            for language in help_languages():
                path = folder / f"{language}.md"
                if not path.is_file():
                    continue
                try:
                    links = _import_file(
                        path,
                        slug=folder.name,
                        language=language,
                        sections=sections,
                        publish=publish,
                        actor=actor,
                        report=report,
                    )
                except (KefuError, ValueError, UnicodeDecodeError) as exc:
                    message = exc.message if isinstance(exc, KefuError) else str(exc)
                    raise KbImportError(f"{path.relative_to(root)}: {message}") from exc
                related.setdefault(folder.name, [])
                related[folder.name] += [r for r in links if r not in related[folder.name]]
        for slug, links in related.items():
            article = Article.objects.get(slug=slug)
            try:
                kb.article_update(article=article, related_slugs=links, actor=actor)
            except KefuError as exc:
                raise KbImportError(f"articles/{slug}: {exc.message}") from exc
    return report


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def kb_export(*, root: Path) -> int:
    """Write the whole knowledge base (working copies, with their state) under ``root``;
    return the number of article files written."""
    root = Path(root)
    (root / "articles").mkdir(parents=True, exist_ok=True)
    categories = []
    for category in Category.objects.prefetch_related("sections").order_by("position", "id"):
        categories.append(
            {
                "slug": category.slug,
                "position": category.position,
                "names": category.names,
                "descriptions": category.descriptions,
                "sections": [
                    {
                        "slug": s.slug,
                        "position": s.position,
                        "names": s.names,
                        "descriptions": s.descriptions,
                    }
                    for s in category.sections.all()
                ],
            }
        )
    (root / "categories.yaml").write_text(_dump({"categories": categories}), encoding="utf-8")
    written = 0
    translations = (
        ArticleTranslation.objects.filter(current_revision__isnull=False)
        .select_related("article__section__category", "current_revision")
        .prefetch_related("article__related")
        .order_by("article__slug", "language")
    )
    for tr in translations:
        revision = tr.current_revision
        assert revision is not None
        article = tr.article
        meta = {
            "title": revision.title,
            "section": f"{article.section.category.slug}/{article.section.slug}",
            "summary": revision.summary,
            "tags": list(revision.tags),
            "related": sorted(r.slug for r in article.related.all()),
            "position": article.position,
            "state": tr.state,
        }
        folder = root / "articles" / article.slug
        folder.mkdir(parents=True, exist_ok=True)
        text = f"{FRONT}\n{_dump(meta)}{FRONT}\n{revision.body.rstrip()}\n"
        (folder / f"{tr.language}.md").write_text(text, encoding="utf-8")
        written += 1
    return written


# --- the same, as one zip file (the workspace's download and upload) -------------------------

ZIP_MAX_BYTES = 20 * 1024 * 1024
ZIP_MAX_UNPACKED = 100 * 1024 * 1024
ZIP_MAX_FILES = 10_000
_ZIP_NAME = re.compile(r"^(categories\.yaml|articles/[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9-]+\.md)$")


def kb_export_zip(*, actor: Actor) -> bytes:
    """The whole knowledge base (as kb_export writes it, drafts included) in one zip file, for
    an editor. Audited: it holds unpublished text."""
    kb.require_editor(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="kb.exported", object_type="kb", object_id="kb", data={})
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        kb_export(root=root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
        return buffer.getvalue()


def kb_import_zip(*, data: bytes, actor: Actor, publish: bool = True) -> ImportReport:
    """Import a zip laid out like an export, for an editor. Only ``categories.yaml`` and
    ``articles/<slug>/<language>.md`` entries are accepted (no other paths, so nothing can be
    written outside the temporary folder), within size and count limits; then kb_import, whose
    services audit every change."""
    kb.require_editor(actor)
    if len(data) > ZIP_MAX_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.") % {"mb": ZIP_MAX_BYTES // 2**20},
            fields={"file": [_("The file is too large.")]},
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError) as exc:
        message = _("This is not a zip file exported from the knowledge base.")
        raise ValidationFailed(message, fields={"file": [message]}) from exc
    if len(entries) > ZIP_MAX_FILES or sum(i.file_size for i in entries) > ZIP_MAX_UNPACKED:
        message = _("The zip file holds too many or too large files.")
        raise ValidationFailed(message, fields={"file": [message]})
    if "categories.yaml" not in {info.filename for info in entries}:
        message = _("The zip file has no categories.yaml.")
        raise ValidationFailed(message, fields={"file": [message]})
    for info in entries:
        if not _ZIP_NAME.match(info.filename):
            message = _("Unexpected file in the zip: %(name)s") % {"name": info.filename[:200]}
            raise ValidationFailed(message, fields={"file": [message]})
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for info in entries:
            target = root / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
        (root / "articles").mkdir(exist_ok=True)
        return kb_import(root=root, actor=actor, publish=publish)
