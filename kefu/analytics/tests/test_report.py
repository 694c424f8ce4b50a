from __future__ import annotations

import io
from datetime import date

import pytest
from django.core import mail
from pypdf import PdfReader

from kefu.accounts.models import Role
from kefu.analytics.models import WeeklyReport
from kefu.analytics.report import last_week, weekly_pdf
from kefu.analytics.tasks import send_weekly_reports
from kefu.core import clock
from kefu.testing import factories

WEEK = date(2026, 11, 2)  # the Monday of the fixture's data


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_last_week_is_the_previous_whole_week():
    assert last_week(date(2026, 11, 9)) == WEEK  # a Monday
    assert last_week(date(2026, 11, 15)) == WEEK  # the Sunday after
    assert last_week(date(2026, 11, 16)) == date(2026, 11, 9)


@pytest.mark.django_db
def test_weekly_pdf_holds_the_numbers(data, supervisor):
    text = pdf_text(weekly_pdf(user=supervisor, week_start=WEEK))
    assert "Kefu weekly service report" in text
    assert "2026-11-02" in text
    assert "Team A" in text
    assert "Backlog now: 1 open conversations." in text
    assert "First-contact resolution" in text
    assert "100.0 %" in text


@pytest.mark.django_db
def test_weekly_pdf_in_chinese_uses_a_cjk_font(data, team_a):
    chief = factories.StaffFactory(
        email="zhuguan@kefu.test", role=Role.SUPERVISOR, language="zh-hans"
    )
    from django.utils import translation

    with translation.override("zh-hans"):
        content = weekly_pdf(user=chief, week_start=WEEK)
    reader = PdfReader(io.BytesIO(content))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert "/STSong-Light" in fonts or any("STSong" in f for f in fonts)
    assert "客服周报" in pdf_text(content)


@pytest.mark.django_db
def test_weekly_reports_are_mailed_once_to_each_supervisor(
    data, monkeypatch, supervisor, admin_user, agent_a, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(clock, "now", lambda: data_now())
    with django_capture_on_commit_callbacks(execute=True):
        send_weekly_reports.call()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([supervisor.email, admin_user.email])
    message = mail.outbox[0]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    name, content, kind = message.attachments[0]
    assert kind == "application/pdf"
    assert name == "kefu-weekly-2026-11-02.pdf"
    assert "Kefu weekly service report" in pdf_text(content)
    assert WeeklyReport.objects.get().week_start == WEEK
    with django_capture_on_commit_callbacks(execute=True):
        send_weekly_reports.call()  # the same week again: nothing more is sent
    assert len(mail.outbox) == 2


def data_now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 10, 6, 0, tzinfo=UTC)
