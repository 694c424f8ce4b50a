"""A tiny TCP load balancer for testing several web processes on one machine (``kefu up
--production``): each client connection goes to the next backend in turn; a backend that
refuses is skipped. It forwards bytes both ways, so HTTP keep-alive and WebSockets just work.

Not for production: use nginx or HAProxy there (docs/subsystems/production.md). Run alone with
``python -m kefu.ops.proxy --listen 127.0.0.1:8000 --backend 127.0.0.1:8001 --backend ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import logging.config
import os
import signal

from kefu.core.observability.logs import logging_config

log = logging.getLogger("kefu.proxy")

CONNECT_TIMEOUT = 2.0
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: 24\r\n\r\nno web process answered\n"
)


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


class Balancer:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        if not backends:
            raise ValueError("at least one backend")
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        start = next(self._next)
        for offset in range(len(self.backends)):
            host, port = self.backends[(start + offset) % len(self.backends)]
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(host, port), timeout=CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError) as exc:
                log.warning("backend %s:%s unavailable: %s", host, port, type(exc).__name__)
        return None

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream = await self._connect()
        if upstream is None:
            with contextlib.suppress(ConnectionError, OSError):
                client_w.write(UNAVAILABLE)
                await client_w.drain()
            client_w.close()
            return
        server_r, server_w = upstream
        try:
            await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))
        finally:
            for writer in (server_w, client_w):
                with contextlib.suppress(ConnectionError, OSError):
                    writer.close()


async def serve(listen: tuple[str, int], backends: list[tuple[str, int]]) -> None:
    balancer = Balancer(backends)
    server = await asyncio.start_server(balancer.handle, listen[0], listen[1], reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("proxy on %s:%s to %s", *listen, backends)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=parse_address, default=("127.0.0.1", 8000))
    parser.add_argument("--backend", type=parse_address, action="append", required=True)
    args = parser.parse_args(argv)
    fmt = os.environ.get("KEFU_LOG_FORMAT", "plain").strip().lower()
    logging.config.dictConfig(logging_config(fmt=fmt, level="INFO"))
    asyncio.run(serve(args.listen, args.backend))


if __name__ == "__main__":
    main()
