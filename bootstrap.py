#!/usr/bin/env python3
"""Set up Kefu's environment in .venv/ and run it: the two Quick start commands.

    python3 bootstrap.py up      # install, migrate, load demo data, start Kefu
    python3 bootstrap.py test    # install (with dev tools, Chromium and Dovecot), run the tests

Only the standard library is used here, so it runs on any machine with Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
CHROMIUM = Path("/usr/bin/chromium")
DOVECOT = Path("/usr/sbin/dovecot")


def run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def ensure_venv(extras: str) -> None:
    """Create .venv and install Kefu (editable) when pyproject.toml changed since last time."""
    if sys.version_info < (3, 11):
        sys.exit(f"Kefu needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    stamp = VENV / f".kefu-installed{extras or ''}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    run([*pip, "--upgrade", "pip"])
    run([*pip, "-e", f".{extras}"], cwd=ROOT)
    stamp.write_text(digest)


def ensure_chromium() -> bool:
    """Install Debian's Chromium for the browser tests if it is missing and we may."""
    if CHROMIUM.exists():
        return True
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", "chromium"], env=env)
        return CHROMIUM.exists()
    print(
        "Chromium is not installed and cannot be installed here (needs root and apt-get);"
        " browser tests will be skipped. Install it with: sudo apt-get install chromium",
        flush=True,
    )
    return False


def ensure_dovecot() -> bool:
    """Install Debian's Dovecot for the IMAP tests (each test starts a private instance)."""
    if DOVECOT.exists():
        return True
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", "dovecot-imapd"], env=env)
        return DOVECOT.exists()
    print(
        "Dovecot is not installed and cannot be installed here (needs root and apt-get);"
        " the IMAP tests will be skipped. Install it with: sudo apt-get install dovecot-imapd",
        flush=True,
    )
    return False


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "up":
        ensure_venv("")
        os.execv(str(BIN / "kefu"), [str(BIN / "kefu"), "up", *rest])  # noqa: S606
    ensure_venv("[dev]")
    has_browser = ensure_chromium()
    has_dovecot = ensure_dovecot()
    env = dict(os.environ)
    if not has_dovecot and env.get("CI"):
        print("CI must run the IMAP tests, but Dovecot is missing.", file=sys.stderr)
        return 1
    if not has_browser:
        if env.get("CI"):
            print("CI must run the browser tests, but Chromium is missing.", file=sys.stderr)
            return 1
        env["KEFU_SKIP_BROWSER_TESTS"] = "1"
    workers = ["-n", "2"] if (os.cpu_count() or 1) > 1 else []
    cmd = [str(BIN / "pytest"), *workers, *rest]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
