"""``kefu channel-check VALUE`` and the demo registry."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from kefu.accounts.services import actor_for_user
from kefu.conversations.models import Tag
from kefu.testing import factories
from kefu.trust.check import check
from kefu.trust.demo import seed_trust_demo
from kefu.trust.models import OfficialChannel
from kefu.trust.selectors import registry


def _run(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("channel-check", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.usefixtures("registry_rows")
def test_prints_the_verdict_as_json():
    assert _run("https://exarnple.com/") == {
        "verdict": "suspicious",
        "kind": "domain",
        "resembles": "example.com",
        "reason": "homoglyph",
        "explanation": (
            "This looks like example.com but uses look-alike characters. It is not ours."
        ),
    }
    assert _run("138 0013 8000")["verdict"] == "official"


@pytest.mark.usefixtures("registry_rows")
def test_explains_in_chinese_with_lang():
    assert _run("@exampleSupport", "--lang", "zh")["explanation"].startswith("这只是我们在")


@pytest.mark.django_db
def test_invalid_value_exits_2_with_a_message():
    err = StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("channel-check", "not a thing !", stdout=StringIO(), stderr=err)
    assert excinfo.value.code == 2
    assert "could not read" in err.getvalue()


def test_demo_registry_matches_the_demo_contact_options(admin_user):
    agent = factories.StaffFactory(email="agent@kefu.demo")
    seed_trust_demo(actor_for_user(admin_user))
    seed_trust_demo(actor_for_user(admin_user))  # idempotent
    assert OfficialChannel.objects.filter(kind="staff", user=agent).count() == 1
    assert Tag.objects.filter(name="impersonation").exists()
    demo = registry(language="en")
    official = (
        "support@demo-exchange.com",
        "+86 400 000 0000",
        "https://t.me/DemoExchangeSupport",
        "https://x.com/DemoExchange",
        "DX-1003",
        "https://www.demo-exchange.com/",
    )
    for value in official:
        assert check(value, registry=demo).verdict == "official", value
    assert check("demo-exchange.net", registry=demo).reason == "retired"
    assert check("demo-exchange-support.com", registry=demo).verdict == "suspicious"
