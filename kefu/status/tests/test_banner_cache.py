"""The banner is cached (it is on every help-center page and widget load) and forgotten as soon
as an incident changes."""

from __future__ import annotations

from kefu.status import selectors
from kefu.status.models import Incident
from kefu.status.services import incident_create, incident_update


def test_banner_cache_is_invalidated_by_every_incident_change(
    supervisor, actor_of, django_capture_on_commit_callbacks, django_assert_num_queries
):
    actor = actor_of(supervisor)
    assert selectors.open_banner_cached("en") == []
    with django_assert_num_queries(0):
        assert selectors.open_banner_cached("en") == []  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_create(
            kind="incident",
            title_en="ETH withdrawals delayed",
            impact="major",
            affected=[{"asset": "ETH", "network": "ERC20"}],
            body_en="We are investigating.",
            actor=actor,
        )
    assert [i["title"] for i in selectors.open_banner_cached("en")] == ["ETH withdrawals delayed"]
    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, state="resolved", body_en="Fixed.", actor=actor)
    assert Incident.objects.get(pk=incident.pk).resolved_at is not None
    assert selectors.open_banner_cached("en") == []
