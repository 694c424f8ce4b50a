from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "kefu.guard"
    label = "guard"
