"""Channel endpoints, mounted at /channels/: every adapter's webhook, and Telegram's
portal "connect" link (names: ``channels:<name>``)."""

from django.urls import path

from kefu.inbox import webhooks
from kefu.inbox.adapters.telegram import views as telegram_views

app_name = "channels"
urlpatterns = [
    path("telegram/connect", telegram_views.connect, name="telegram_connect"),
    path("<slug:kind>/webhook", webhooks.webhook, name="webhook"),
]
