from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "kefu.cases"
    label = "cases"

    def ready(self) -> None:
        from kefu.cases import checks  # noqa: F401 - registers the deployment check
