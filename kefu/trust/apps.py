from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "kefu.trust"
    label = "trust"
