from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    name = "kefu.callbacks"
    label = "callbacks"
