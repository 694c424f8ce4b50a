from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "kefu.inbox"
    label = "inbox"
    verbose_name = "Inbox and channels"
