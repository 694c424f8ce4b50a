from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "kefu.integrations"
    label = "integrations"

    def ready(self) -> None:
        from kefu.core import policy_cache

        # Read on every inbound message and cached per process (ADR 0028): every write bumps
        # the policy version.
        for table in ["integrations_webhookendpoint"]:
            policy_cache.watch(table)
