from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "kefu.assistant"
    label = "assistant"
