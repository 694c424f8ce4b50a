from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "kefu.privacy"
    label = "privacy"
