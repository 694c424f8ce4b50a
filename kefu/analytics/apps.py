from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kefu.analytics"
    label = "analytics"
