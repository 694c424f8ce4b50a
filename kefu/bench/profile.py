"""Time, and optionally profile, one page in-process through Django's WSGI handler.

    python -m kefu.bench.profile "/agent/?view=all" --requests 100 --cprofile 30

Uses the current settings and database (``DATABASE_URL``, ``KEFU_DATA_DIR``), like ``kefu bench
run``. The request goes through the whole middleware stack as the bench supervisor, with no HTTP
server and no test client (whose template signal copies every rendered context and would skew
the template's share), so the page's time can be split between SQL, view and template rendering.
Run ``kefu bench seed`` first; the session it signs in with is deleted afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time and profile one page in-process.")
    parser.add_argument("path", nargs="?", default="/agent/?view=all")
    parser.add_argument("--requests", type=int, default=100, help="Timed requests.")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--cprofile", type=int, default=0, metavar="N", help="Then profile N more requests."
    )
    parser.add_argument("--top", type=int, default=40, help="Rows of the profile to print.")
    parser.add_argument("--save", metavar="FILE", help="Write the last response body here.")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from kefu.accounts.models import User
    from kefu.bench.run import _session_for
    from kefu.bench.seed import SUPERVISOR_EMAIL

    session_key = _session_for(User.objects.get(email=SUPERVISOR_EMAIL))
    handler = WSGIHandler()
    factory = RequestFactory()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"

    def request() -> tuple[str, bytes]:
        environ = factory.get(args.path, HTTP_COOKIE=cookie, HTTP_HOST="127.0.0.1").environ
        status: list[str] = []

        def start_response(
            s: str, headers: list[tuple[str, str]], exc_info: Any = None, /
        ) -> Callable[[bytes], object]:
            status.append(s)
            return lambda data: None  # the legacy write() callable, unused by Django

        body = b"".join(handler(environ, start_response))
        return status[0], body

    try:
        status, body = request()
        print(f"{args.path}: {status}, {len(body):,} bytes")
        for _ in range(args.warmup):
            request()
        times = []
        for _ in range(max(2, args.requests)):
            started = time.perf_counter()
            status, body = request()
            times.append((time.perf_counter() - started) * 1000)
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        one, five, _ = os.getloadavg()
        print(
            f"{len(times)} requests: p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms "
            f"(load average {one:.2f}, {five:.2f})"
        )
        if args.save:
            with open(args.save, "wb") as out:
                out.write(body)
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.cprofile):
                request()
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top // 2)
    finally:
        import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()


if __name__ == "__main__":
    main()
