"""The baseline for ``kefu bench chat``: the smallest useful WebSocket server, as plain ASGI.

No Django, no channel layer, no database: every text frame is sent straight back on the same
socket. Served by the same uvicorn as Kefu and driven by the same client code and pacing, it
shows what one uvicorn process and the benchmark client manage on this machine, so Kefu's live
chat numbers can be read as a fraction of that.

    python -m uvicorn kefu.bench.echo:app --host 127.0.0.1 --port 8765 --lifespan off

``GET /healthz`` answers 200 so the benchmark can wait for the server the same way for both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await _echo(receive, send)
    elif scope["type"] == "http":
        await _http(scope, receive, send)
    # "lifespan" (when not turned off): nothing to set up; returning tells the server so.


async def _echo(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        kind = event["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            if event.get("text") is not None:
                await send({"type": "websocket.send", "text": event["text"]})
            elif event.get("bytes") is not None:
                await send({"type": "websocket.send", "bytes": event["bytes"]})
        elif kind == "websocket.disconnect":
            return


async def _http(scope: Scope, receive: Receive, send: Send) -> None:
    # Drain the request body (none expected) so the server can reuse the connection.
    while (await receive()).get("more_body", False):
        pass
    found = scope.get("path") == "/healthz"
    body = b"ok\n" if found else b"not found\n"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})
