"""REST API v1: one NinjaAPI; each app contributes a router from its own api.py."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Kefu API", version="1.0.0", urls_namespace="api-v1")
