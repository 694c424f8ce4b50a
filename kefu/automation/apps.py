from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "kefu.automation"
    label = "automation"
