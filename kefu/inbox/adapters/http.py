"""One HTTP exchange with a provider, shared by the adapters' API clients.

Requests go through httpx's transport rather than ``httpx.Client`` because the client logs
each request URL (Telegram's token is part of its URLs; see kefu/chain/rpc.py). The response
is read up to ``limit`` bytes. Failures are classified: timeouts and network errors ->
RetryableError; a malformed request -> PermanentError. Messages name ``what`` (e.g.
"Telegram getFile"), never the URL.
"""

from __future__ import annotations

import httpx

from kefu.core.errors import PermanentError, RetryableError


class TooLarge(PermanentError):
    """The response is larger than the caller's limit (not read further)."""


def exchange(request: httpx.Request, what: str, *, limit: int) -> tuple[int, bytes, httpx.Headers]:
    """Send ``request``; (status, body, headers). PermanentError past ``limit`` bytes."""
    transport = httpx.HTTPTransport(retries=0, trust_env=False)
    try:
        response = transport.handle_request(request)
        try:
            data = bytearray()
            for chunk in response.stream:  # type: ignore[union-attr]
                data += chunk
                if len(data) > limit:
                    raise TooLarge(f"{what}: response larger than {limit} bytes")
        finally:
            response.close()
    except httpx.TimeoutException:
        raise RetryableError(f"{what}: timed out") from None
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        raise PermanentError(f"{what}: bad request ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise RetryableError(f"{what}: connection failed ({type(exc).__name__})") from None
    finally:
        transport.close()
    return response.status_code, bytes(data), response.headers
