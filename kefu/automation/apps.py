from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "kefu.automation"
    label = "automation"

    def ready(self) -> None:
        from kefu.core import policy_cache

        # Read on every inbound message and cached per process (ADR 0028): every write bumps
        # the policy version.
        for table in ["automation_automationrule"]:
            policy_cache.watch(table)
