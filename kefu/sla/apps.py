from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Service hours and SLAs")

    def ready(self) -> None:
        from kefu.core import policy_cache

        # Read on every inbound message and cached per process (ADR 0028): every write bumps
        # the policy version.
        for table in [
            "sla_slapolicy",
            "sla_businesscalendar",
            "sla_calendarexception",
            "sla_teamcalendar",
        ]:
            policy_cache.watch(table)
