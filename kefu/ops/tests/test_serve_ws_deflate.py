"""``kefu serve`` offers WebSocket compression unless KEFU_WS_DEFLATE or --ws-deflate says not.

A real server process on 127.0.0.1 and a real client that asks for permessage-deflate: the
handshake's answer says whether the server agreed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import websockets
from django.conf import settings

from kefu.testing.live import free_port


def _serve(tmp_path, extra_env: dict[str, str], args: list[str]) -> tuple[subprocess.Popen, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEFU_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        KEFU_DATA_DIR=str(tmp_path),
        KEFU_HELP_SEARCH_WARM="0",
        KEFU_SECRET_KEY="x" * 50,
        PYTHONPATH=str(settings.BASE_DIR),
        **extra_env,
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not answer")


async def _negotiated_extensions(port: int) -> str:
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/chat/v1", compression="deflate", open_timeout=10
    ) as ws:
        return ws.response.headers.get("Sec-WebSocket-Extensions", "")


@pytest.mark.parametrize(
    ("extra_env", "args", "expected"),
    [
        ({}, [], True),
        ({"KEFU_WS_DEFLATE": "0"}, [], False),
        ({"KEFU_WS_DEFLATE": "0"}, ["--ws-deflate", "on"], True),
        ({}, ["--ws-deflate", "off"], False),
    ],
    ids=["default-on", "setting-off", "flag-overrides-setting", "flag-off"],
)
def test_serve_offers_compression_as_configured(tmp_path, extra_env, args, expected):
    proc, port = _serve(tmp_path, extra_env, args)
    try:
        extensions = asyncio.run(_negotiated_extensions(port))
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert ("permessage-deflate" in extensions) is expected, extensions
