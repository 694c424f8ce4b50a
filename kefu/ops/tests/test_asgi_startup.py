"""The ASGI entry point tunes the garbage collector: start-up frozen, a large young generation."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_importing_the_asgi_application_freezes_the_start_up_objects(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEFU_"))}
    env.update(
        KEFU_DATA_DIR=str(tmp_path), KEFU_HELP_SEARCH_WARM="0", PYTHONPATH=str(settings.BASE_DIR)
    )
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc; before = gc.get_freeze_count(); import config.asgi; "
            "print(before, gc.get_freeze_count(), gc.get_threshold()[0])",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after, young = map(int, out.stdout.split()[-3:])
    assert before == 0
    assert after > 10_000  # Django, Channels and Kefu's modules
    assert young == 50_000  # not Python's default of 700
