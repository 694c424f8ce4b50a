"""The weekly report: a PDF of last week's headline numbers (vs the week before and the SLA
targets) and the per-team table, in the recipient's language.

Every string is drawn with reportlab's built-in CID font ``STSong-Light`` (Adobe's Chinese
font resource, which needs no font file: PDF readers supply the glyphs), so Chinese team names
and the Chinese translation render. Pure apart from the selectors it reads."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kefu.accounts.models import User
from kefu.analytics import selectors, tables

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def last_week(today: date) -> date:
    """The Monday of the last whole week before ``today``."""
    return today - timedelta(days=today.weekday() + 7)


def weekly_pdf(*, user: User, week_start: date) -> bytes:
    """The report for the week starting on ``week_start`` (a Monday), as ``user`` may read it."""
    font = _font()
    filters = selectors.Filters(start=week_start, end=week_start + timedelta(days=6))
    view = selectors.overview(user=user, filters=filters)
    teams = selectors.breakdown(user=user, filters=filters, dimension="team")
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    story: list[object] = [
        Paragraph(_("Kefu weekly service report"), title),
        Paragraph(
            _("Week of %(start)s to %(end)s (UTC), compared with the week before.")
            % {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    summary = tables.summary_table(view)
    rows = [[Paragraph(str(label), cell) for _k, label, _kind in summary.columns]]
    for row in summary.rows:
        rows.append(
            [Paragraph(str(row[0]), cell)]
            + [Paragraph(tables.display(v, "cell"), cell) for v in row[1:]]
        )
    story.append(_grid(rows, [70 * mm, 35 * mm, 35 * mm, 35 * mm]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            _("Backlog now: %(open)d open conversations.") % {"open": view.backlog.open}, body
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(_("By team"), title))
    team_table = tables.breakdown_table("team", _("Team"), teams)
    # Team, conversations, resolved, first response and resolution medians, CSAT, SLA met.
    keep = [0, 1, 2, 3, 6, 10, 12]
    header = [Paragraph(str(team_table.columns[i][1]), cell) for i in keep]
    lines = [header]
    for row in team_table.rows:
        lines.append(
            [Paragraph(tables.display(row[i], team_table.columns[i][2]), cell) for i in keep]
        )
    story.append(_grid(lines, [40 * mm] + [22 * mm] * (len(keep) - 1)))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Kefu weekly service report"),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    doc.build(story)
    return out.getvalue()


def _grid(rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
