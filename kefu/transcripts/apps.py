from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "kefu.transcripts"
    label = "transcripts"
