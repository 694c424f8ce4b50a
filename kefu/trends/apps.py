from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "kefu.trends"
    label = "trends"
