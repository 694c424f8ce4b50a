from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "kefu.status"
    label = "status"
