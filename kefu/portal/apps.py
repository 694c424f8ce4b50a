from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kefu.portal"
    label = "portal"
