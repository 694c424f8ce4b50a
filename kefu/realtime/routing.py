"""WebSocket URL routes (mounted by config/asgi.py)."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from kefu.inbox.adapters.webchat.consumers import ChatConsumer
from kefu.realtime.consumers import AgentConsumer

websocket_urlpatterns = [
    # Staff sockets authenticate with the session cookie, so only same-host origins may open
    # them (a page on another site cannot ride an agent's cookie).
    path(
        "ws/agent/v1",
        AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi())),
    ),
    # The widget is embedded on other sites: its socket checks each site's allowed origins.
    path("ws/chat/v1", ChatConsumer.as_asgi()),
]
