"""ASGI entry point: HTTP through Django, WebSockets through Channels (see realtime docs)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_http = get_asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kefu.helpcenter.searching import warm_in_background  # noqa: E402
from kefu.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_http, "websocket": URLRouter(websocket_urlpatterns)}
)

# Build the help-center search index now, not on the first visitor's search.
warm_in_background()
