from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "kefu.csat"
    label = "csat"
