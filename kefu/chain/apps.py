from django.apps import AppConfig


class ChainConfig(AppConfig):
    name = "kefu.chain"
    label = "chain"

    def ready(self) -> None:
        from kefu.chain import checks  # noqa: F401 - registers the system check
