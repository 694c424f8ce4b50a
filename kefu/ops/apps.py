from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "kefu.ops"
    label = "ops"

    def ready(self) -> None:
        from kefu.ops import checks, job_observability

        del checks  # imported to register the deployment checks

        job_observability.connect()
