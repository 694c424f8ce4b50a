from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Schema plumbing, not domain logic: the policy-version triggers are (re)installed
        # after every migrate, as Django itself creates content types and permissions then.
        post_migrate.connect(_install_policy_triggers, sender=self)


def _install_policy_triggers(using: str = "default", **_kwargs: object) -> None:
    from django.db import connections

    from kefu.core import policy_cache

    policy_cache.install(connections[using])
