from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "kefu.exchange"
    label = "exchange"

    def ready(self) -> None:
        from kefu.exchange import checks  # noqa: F401 - registers the system check
