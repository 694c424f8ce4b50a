from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "kefu.integrations"
    label = "integrations"
