"""Benchmark results as a Markdown table, with the machine and database they were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import django
from django.db import connection


@dataclass
class Row:
    measurement: str
    result: str
    target: str = ""
    met: bool | None = None  # None: no target


def machine_info() -> dict[str, str]:
    """nproc, CPU model, RAM, OS, Python, Django and database version."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(nproc),
        "cpu": cpu,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database_version(),
    }


def database_version() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"
    return connection.vendor


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def markdown_table(rows: list[Row]) -> str:
    lines = ["| Measurement | Result | Target | Met |", "|---|---|---|---|"]
    lines += [f"| {r.measurement} | {r.result} | {r.target} | {verdict(r.met)} |" for r in rows]
    return "\n".join(lines)


def markdown_section(
    *,
    title: str,
    rows: list[Row],
    info: dict[str, str],
    dataset: dict[str, int],
    command: str,
    notes: list[str] | None = None,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{info['nproc']} CPU ({info['cpu']}), {info['ram']} RAM, {info['os']}, "
        f"Python {info['python']}, Django {info['django']}, {info['database']}"
    )
    data = ", ".join(f"{v:,} {k}" for k, v in dataset.items())
    parts = [
        f"### {title}",
        "",
        f"- Measured: {when}",
        f"- Machine: {machine}",
        f"- Data: {data}",
        f"- Command: `{command}`",
        "",
        markdown_table(rows),
    ]
    if notes:
        parts += ["", *[f"- {n}" for n in notes]]
    return "\n".join(parts) + "\n"


def append_to(path: Path, section: str) -> None:
    """Append ``section`` under the "Results log" heading of ``path`` (created if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if "## Results log" not in text:
        text = (
            text.rstrip()
            + "\n\n## Results log\n\nNewest last; appended by `kefu bench run --write-docs`.\n"
        )
    path.write_text(text.rstrip() + "\n\n" + section, encoding="utf-8")
