from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "kefu.backoffice"
    label = "backoffice"
