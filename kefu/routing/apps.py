from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "kefu.routing"
    label = "routing"
    verbose_name = _("Routing and escalation")

    def ready(self) -> None:
        from kefu.core import policy_cache

        # Read on every inbound message and cached per process (ADR 0028): every write bumps
        # the policy version.
        for table in ["routing_routingrule", "routing_routingpolicy"]:
            policy_cache.watch(table)
