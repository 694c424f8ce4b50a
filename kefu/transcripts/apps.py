from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "kefu.transcripts"
    label = "transcripts"

    def ready(self) -> None:
        from kefu.transcripts import checks  # noqa: F401 - registers the system check
