"""The demo's service hours, official contact options and chat site."""

from kefu.audit.models import AuditEntry
from kefu.demo import content
from kefu.demo.seed import load_demo
from kefu.helpcenter.selectors import public_contact_options
from kefu.inbox.models import ChatSite
from kefu.sla.hours import describe
from kefu.sla.models import BusinessCalendar, SlaPolicy
from kefu.sla.selectors import default_calendar


def test_demo_creates_hours_contacts_and_the_demo_site(db):
    assert load_demo(conversations=2).created

    [policy] = SlaPolicy.objects.all()  # complaints have their own service level
    assert (policy.name, policy.conversation_types) == ("Complaints", ["complaint"])
    assert (policy.first_response_minutes, policy.resolution_minutes) == (240, 3 * 24 * 60)
    calendars = dict(BusinessCalendar.objects.values_list("name", "is_default"))
    assert calendars == {"Customer service": True, "Phone hotline": False}
    assert describe(default_calendar(), "en") == "Every day, 24 hours"
    hotline = BusinessCalendar.objects.get(name="Phone hotline").spec()
    assert describe(hotline, "zh-hans") == "周一至周五 09:00–18:00（Asia/Shanghai）"

    english = public_contact_options("en")
    assert [o["kind"] for o in english] == [
        "chat",
        "email",
        "phone",
        "telegram",
        "phone",
        "help_center",
        "other",
    ]
    assert {o["value"] for o in english} >= {
        "support@demo-exchange.com",
        "+86 400 000 0000",
        "@DemoExchangeSupport",
    }
    assert english[5]["url"] == "/help/"
    phone = public_contact_options("zh-hans")[2]
    assert (phone["label"], phone["url"], phone["hours"]) == (
        "客服热线",
        "tel:+864000000000",
        "周一至周五 09:00–18:00（北京时间）",
    )

    site = ChatSite.objects.get()
    assert (site.key, site.name, site.is_active, site.identity_required) == (
        "demo-site",
        "Demo Exchange website",
        True,
        False,
    )
    assert site.allowed_origins == ["http://127.0.0.1:8000", "http://localhost:8000"]
    assert site.team is not None
    assert site.team.name == content.TEAMS[0][0]
    assert site.greeting_en
    assert site.greeting_zh
    assert site.allows_origin("http://localhost:8000")
    assert not site.allows_origin("https://evil.example")
    assert AuditEntry.objects.filter(
        action="chat_site.updated", object_id=str(site.pk), data={"site_key": "demo-site"}
    ).exists()
    assert AuditEntry.objects.filter(action="calendar.created").count() == 2
    assert AuditEntry.objects.filter(action="contact_option.created").count() == 7

    # Loading again changes nothing.
    before = (ChatSite.objects.count(), BusinessCalendar.objects.count(), len(english))
    assert not load_demo(conversations=2).created
    assert before == (
        ChatSite.objects.count(),
        BusinessCalendar.objects.count(),
        len(public_contact_options("en")),
    )
