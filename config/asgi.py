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

# The cyclic garbage collector, tuned for a server that allocates fast (docs/benchmarks.md, live
# chat, Round 8). What start-up made (modules, Django's registries, URL patterns...) lives as
# long as the process: frozen, full collections stop walking it again. And a young collection
# every 50,000 allocations instead of 700: at hundreds of chat messages a second the default
# promoted short-lived frames, futures and rows to the old generations, which then filled fast
# enough for a full collection every second or so, each pausing every socket for up to 270 ms
# with 2,000 connections (about 5 % of the process's time). The young generation stays small
# (tens of thousands of objects, a few MB).
GC_THRESHOLDS = (50_000, 20, 20)
gc.collect()
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
