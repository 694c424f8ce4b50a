"""Serve the Plotly bundle that ships inside the ``plotly`` Python package as the static file
``analytics/vendor/plotly.min.js`` (no CDN, nothing copied into the repository)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "analytics/vendor"
FILENAME = "plotly.min.js"


def bundle_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(bundle_dir()))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        wanted = f"{PREFIX}/{FILENAME}"
        if path != wanted:
            return [] if (find_all or kwargs.get("all")) else None
        match = str(bundle_dir() / FILENAME)
        return [match] if (find_all or kwargs.get("all")) else match

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILENAME, self.storage
