from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "kefu.community"
    label = "community"
