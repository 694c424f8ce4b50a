"""Serve HTTP (and, later, WebSockets) with uvicorn, the ASGI server (see docs/adr/0002)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the Kefu web server (uvicorn, ASGI)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Worker processes (use 2-4 per core behind a proxy in production).",
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="Trust X-Forwarded-* from --forwarded-allow-ips.",
        )
        parser.add_argument("--forwarded-allow-ips", default="127.0.0.1")
        parser.add_argument(
            "--ws-deflate",
            choices=["on", "off"],
            default=None,
            help="Offer WebSocket compression (permessage-deflate). Default: KEFU_WS_DEFLATE (on).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        uvicorn.run(
            "config.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=options["proxy_headers"],
            forwarded_allow_ips=options["forwarded_allow_ips"],
            lifespan="off",
            log_level="info",
            # Kefu's logging (plain or JSON, with request ids) handles uvicorn's records too;
            # its middleware writes one line per request, without the query string.
            log_config=None,
            access_log=False,
            server_header=False,
            ws_per_message_deflate=ws_deflate(options["ws_deflate"]),
        )


def ws_deflate(option: str | None) -> bool:
    """``--ws-deflate on|off`` if given, else the ``KEFU_WS_DEFLATE`` setting."""
    return bool(settings.KEFU_WS_DEFLATE) if option is None else option == "on"
