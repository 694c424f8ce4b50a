"""``kefu kb export DIR`` and ``kefu kb import DIR [--draft]``: the whole knowledge base as
Markdown files with front matter (see kefu.helpcenter.transfer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from kefu.helpcenter.transfer import kb_export, kb_import


class Command(BaseCommand):
    help = "Import or export the knowledge base as Markdown files with front matter."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write categories.yaml and articles/ to DIR")
        export.add_argument("directory", type=Path)
        imp = sub.add_parser("import", help="create or update articles from DIR")
        imp.add_argument("directory", type=Path)
        imp.add_argument(
            "--draft", action="store_true", help="save as drafts instead of publishing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if options["action"] == "export":
            count = kb_export(root=directory)
            self.stdout.write(f"Exported {count} article files to {directory}")
            return
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        try:
            report = kb_import(
                root=directory, actor=Actor.system("kb import"), publish=not options["draft"]
            )
        except KefuError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Imported {report.categories} categories, {report.sections} sections; "
            f"{report.articles_created} new articles, {report.revisions} new revisions, "
            f"{report.unchanged} unchanged, {report.published} published"
        )
