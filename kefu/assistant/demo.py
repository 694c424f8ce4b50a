"""The demo exchange's hand-off routes (``kefu demo``): identity checks go to the KYC team,
account-security chats to the security team, and Chinese chats without a more specific route to
a team that works in Chinese. Everything else falls back to the demo chat site's team."""

from __future__ import annotations

from kefu.accounts.models import Team
from kefu.assistant import services
from kefu.assistant.models import ANY, HandoffRoute
from kefu.core.actor import Actor
from kefu.demo import content

# (intent, language, team name)
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("kyc", ANY, content.KYC),
    ("security", ANY, content.SECURITY),
    ("account_access", ANY, content.SECURITY),
    ("two_factor", ANY, content.SECURITY),
    ("official_check", ANY, content.SECURITY),
    (ANY, "zh-hans", content.FUNDS),  # works in Chinese and English
)


def seed_assistant_demo(actor: Actor) -> int:
    """Add the demo routes once (an exchange that edited its routes keeps them); returns how
    many were added."""
    if HandoffRoute.objects.exists():
        return 0
    teams = {t.name: t for t in Team.objects.filter(name__in=[r[2] for r in ROUTES])}
    added = 0
    for intent, language, team_name in ROUTES:
        team = teams.get(team_name)
        if team is not None:
            services.handoff_route_save(intent=intent, language=language, team=team, actor=actor)
            added += 1
    return added
