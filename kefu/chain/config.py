"""Which node answers for which network: the KEFU_CHAIN_RPC and KEFU_CHAIN_CONFIRMATIONS settings.

KEFU_CHAIN_RPC is a JSON object (or, in tests, a dict) keyed by network name. A value is either
a node, ``{"kind": "evm" | "bitcoin", "url": "http(s)://[user:pass@]host[:port][/path]"}``, or
the name of another network whose node it shares (``"ERC20": "ETH"``). Names are matched without
regard to case. Node URLs may carry credentials (Bitcoin Core's rpcuser/rpcpassword, a provider's
API key in the path), so only ``Node.endpoint`` (scheme, host and port) is ever shown or logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

Kind = Literal["evm", "bitcoin"]
KINDS: tuple[Kind, ...] = ("evm", "bitcoin")

# Confirmations after which a transaction counts as confirmed, by network; the settings override
# these, and a network not named here takes its kind's default.
DEFAULT_CONFIRMATIONS: dict[str, int] = {"BTC": 2, "ETH": 12, "BEP20": 15, "BSC": 15}
KIND_DEFAULT_CONFIRMATIONS: dict[Kind, int] = {"bitcoin": 2, "evm": 12}


class ConfigurationError(Exception):
    """KEFU_CHAIN_RPC or KEFU_CHAIN_CONFIRMATIONS cannot be used as written."""


@dataclass(frozen=True, slots=True)
class Node:
    network: str  # the configured network that owns the node (an alias resolves to it)
    kind: Kind
    url: str = field(repr=False)  # may hold credentials: never log or display it
    confirmations_required: int

    @property
    def endpoint(self) -> str:
        """The URL without credentials, path or query: safe to log and to show staff."""
        return redact_url(self.url)

    @property
    def source(self) -> str:
        return f"{self.kind}:{self.network}@{self.endpoint}"


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def _load_json(name: str, raw: object) -> Mapping[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{name} is not valid JSON ({exc.msg}).") from None
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{name} must be a JSON object keyed by network name.")
    return raw


def _confirmation_overrides() -> dict[str, int]:
    raw = _load_json("KEFU_CHAIN_CONFIRMATIONS", getattr(settings, "KEFU_CHAIN_CONFIRMATIONS", ""))
    overrides: dict[str, int] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(
                f"KEFU_CHAIN_CONFIRMATIONS[{name!r}] must be a whole number of at least 1."
            )
        overrides[str(name).strip().upper()] = value
    return overrides


def _check_url(name: str, url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f'KEFU_CHAIN_RPC[{name!r}] needs a "url".')
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        # The URL itself may hold a password: name the network, never echo the value.
        raise ConfigurationError(
            f'KEFU_CHAIN_RPC[{name!r}]["url"] must be an http:// or https:// URL with a host.'
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise ConfigurationError(f'KEFU_CHAIN_RPC[{name!r}]["url"] has a bad port.') from None
    return url.strip()


def load_nodes() -> dict[str, Node]:
    """Every configured network (aliases included) mapped to its node; raises ConfigurationError."""
    raw = _load_json("KEFU_CHAIN_RPC", getattr(settings, "KEFU_CHAIN_RPC", ""))
    overrides = _confirmation_overrides()
    entries: dict[str, object] = {}
    for key, value in raw.items():
        name = str(key).strip().upper()
        if not name:
            raise ConfigurationError("KEFU_CHAIN_RPC has an empty network name.")
        if name in entries:
            raise ConfigurationError(f"KEFU_CHAIN_RPC names {name!r} twice.")
        entries[name] = value

    nodes: dict[str, Node] = {}
    for name, value in entries.items():
        if isinstance(value, str):
            continue
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f'KEFU_CHAIN_RPC[{name!r}] must be an object with "kind" and "url", or the '
                "name of another network."
            )
        unknown = set(value) - {"kind", "url"}
        if unknown:
            raise ConfigurationError(
                f"KEFU_CHAIN_RPC[{name!r}] has unknown keys: {', '.join(sorted(unknown))}."
            )
        kind = value.get("kind")
        if kind not in KINDS:
            raise ConfigurationError(
                f'KEFU_CHAIN_RPC[{name!r}]["kind"] must be one of: {", ".join(KINDS)}.'
            )
        required = overrides.get(
            name, DEFAULT_CONFIRMATIONS.get(name, KIND_DEFAULT_CONFIRMATIONS[kind])
        )
        nodes[name] = Node(
            network=name,
            kind=kind,
            url=_check_url(name, value.get("url")),
            confirmations_required=required,
        )

    for name, value in entries.items():
        if not isinstance(value, str):
            continue
        target = value.strip().upper()
        if target not in nodes:
            raise ConfigurationError(
                f"KEFU_CHAIN_RPC[{name!r}] is an alias of {target!r}, which has no node "
                "(an alias must name a network configured with a kind and url)."
            )
        nodes[name] = nodes[target]
    return nodes


def node_for(network: str) -> Node | None:
    """The node for ``network`` (case-insensitive), or None when none is configured."""
    return load_nodes().get(network.strip().upper())


def configuration_problems() -> list[str]:
    try:
        load_nodes()
    except ConfigurationError as exc:
        return [str(exc)]
    return []
