"""ASGI entry point: HTTP through Django, WebSockets through Channels (see realtime docs)."""

import gc
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

# What start-up made (modules, Django's registries, URL patterns...) lives as long as the
# process: keep the cyclic garbage collector from walking it again on every full collection.
# Under chat load those collections paused the event loop for 50-190 ms (docs/benchmarks.md,
# live chat, Round 8).
gc.collect()
gc.freeze()
