"""Turn timeline rows into what the workspace shows: a message, an internal note or a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Choices
from django.utils.translation import gettext as _

from kefu.contacts.masking import contact_display_name
from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Conversation,
    Message,
    Priority,
    Status,
    TimelineEntry,
    TimelineKind,
)
from kefu.conversations.secret_guard import kind_name
from kefu.inbox.calls import phone_calls_by_id
from kefu.inbox.models import PhoneCall


@dataclass(frozen=True)
class TimelineItem:
    entry: TimelineEntry
    kind: str  # "message", "note" or "event"
    who: str
    text: str = ""  # what changed (events; also the "opened via" line of the first message)
    detail: str = ""  # free text that belongs to a change, such as an escalation reason
    message: Message | None = None
    call: PhoneCall | None = None  # kind "call": the phone call the entry shows (staff only)

    @property
    def pinned(self) -> bool:
        """An internal note marked ``pinned`` (the assistant's hand-off summary): shown again in
        the "Pinned" box above the timeline. Only notes: a customer-visible message never is."""
        message = self.message
        return (
            self.kind == "note"
            and message is not None
            and (message.metadata or {}).get("pinned") is True
        )


def _label(choices: type[Choices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _actor_name(entry: TimelineEntry, conversation: Conversation) -> str:
    if entry.actor_user is not None:
        return str(entry.actor_user)
    if entry.actor_kind == "customer":
        return contact_display_name(conversation.contact)
    if entry.actor_label:
        return entry.actor_label
    return _("System")


def _author_name(entry: TimelineEntry, message: Message, conversation: Conversation) -> str:
    # The entry's actor is the message's author; its user is already loaded with the entry.
    if message.author_kind == AuthorKind.CUSTOMER:
        return contact_display_name(conversation.contact)
    if entry.actor_user is not None:
        return str(entry.actor_user)
    return _label(AuthorKind, message.author_kind)


def _tags_text(names: list[str]) -> str:
    return ", ".join(names) if names else _("(none)")


def _assignment_text(data: dict[str, Any]) -> str:
    if "team_to" in data or "team_from" in data:
        if data.get("team_to"):
            return _("Routed to team %(team)s.") % {"team": data.get("team_name", "")}
        return _("Removed from its team.")
    if data.get("to"):
        return _("Assigned to %(name)s.") % {"name": data.get("to_name", "")}
    return _("Unassigned.")


def _event_text(entry: TimelineEntry) -> tuple[str, str]:
    data = entry.data or {}
    kind = entry.kind
    if kind == TimelineKind.STATUS:
        return _("Changed the status from %(old)s to %(new)s.") % {
            "old": _label(Status, data.get("from")),
            "new": _label(Status, data.get("to")),
        }, ""
    if kind == TimelineKind.PRIORITY:
        return _("Changed the priority from %(old)s to %(new)s.") % {
            "old": _label(Priority, data.get("from")),
            "new": _label(Priority, data.get("to")),
        }, ""
    if kind == TimelineKind.ASSIGNMENT:
        return _assignment_text(data), ""
    if kind == TimelineKind.ESCALATION and data.get("requested"):
        if data.get("declined"):
            return _("Declined the customer's escalation request."), str(data.get("reason", ""))
        return _("The customer asked to escalate."), str(data.get("reason", ""))
    if kind == TimelineKind.ESCALATION:
        text = _("Escalated from tier %(old)s to tier %(new)s.") % {
            "old": data.get("from"),
            "new": data.get("to"),
        }
        if data.get("unassigned"):
            text += " " + _("The assignee does not work on that tier and was unassigned.")
        return text, str(data.get("reason", ""))
    if kind == TimelineKind.TAGS:
        return _("Changed the tags from %(old)s to %(new)s.") % {
            "old": _tags_text(list(data.get("from", []))),
            "new": _tags_text(list(data.get("to", []))),
        }, ""
    if kind == TimelineKind.SECURITY:
        text = _("The secret guard hid %(what)s that the customer sent.") % {
            "what": ", ".join(kind_name(k) for k in data.get("kinds", []))
        }
        if data.get("withheld"):
            text += " " + _("Files withheld: %(n)s.") % {"n": data["withheld"]}
        return text, ""
    if kind == TimelineKind.SLA:
        return _sla_text(data), ""
    if kind == TimelineKind.MERGE:
        if data.get("into"):
            return _("Merged into %(ref)s and closed.") % {"ref": data.get("reference", "")}, ""
        return _("Merged %(ref)s into this conversation.") % {"ref": data.get("reference", "")}, ""
    if kind == TimelineKind.SURVEY:
        if data.get("event") == "sent":
            return _("Asked the customer to rate the conversation."), ""
        resolved = {True: _("resolved"), False: _("not resolved"), None: ""}[
            data.get("resolved") if isinstance(data.get("resolved"), bool) else None
        ]
        text = _("Rated %(rating)s of 5.") % {"rating": data.get("rating")}
        return (f"{text} {resolved}".strip(), "")
    if kind == TimelineKind.INCIDENT:
        if data.get("event") == "unlinked":
            return _("Unlinked from incident #%(id)s.") % {"id": data.get("incident")}, ""
        return _("Linked to incident #%(id)s: %(title)s") % {
            "id": data.get("incident"),
            "title": data.get("title", ""),
        }, ""
    return _label(TimelineKind, kind), ""


def _sla_text(data: dict[str, Any]) -> str:
    from kefu.sla.models import TimerKind

    what = _label(TimerKind, data.get("timer_kind"))
    if data.get("event") == "breach":
        return _("SLA target missed: %(what)s.") % {"what": what}
    return _("SLA warning: the %(what)s deadline is near.") % {"what": what}


def present_timeline(
    conversation: Conversation, entries: list[TimelineEntry]
) -> list[TimelineItem]:
    """One display item per timeline row, oldest first."""
    items: list[TimelineItem] = []
    calls = phone_calls_by_id(
        [int(e.data.get("call", 0)) for e in entries if e.kind == TimelineKind.CALL]
    )
    for entry in entries:
        message = entry.message
        if entry.kind == TimelineKind.CALL:
            call = calls.get(int(entry.data.get("call", 0)))
            if call is not None:
                items.append(
                    TimelineItem(
                        entry=entry, kind="call", who=_actor_name(entry, conversation), call=call
                    )
                )
                continue
        if message is not None:
            text = ""
            if entry.kind == TimelineKind.CREATED:
                text = _("Opened the conversation via %(channel)s.") % {
                    "channel": _label(Channel, entry.data.get("channel", message.channel))
                }
            items.append(
                TimelineItem(
                    entry=entry,
                    kind="note" if message.is_note else "message",
                    who=_author_name(entry, message, conversation),
                    text=text,
                    message=message,
                )
            )
            continue
        text, detail = _event_text(entry)
        items.append(
            TimelineItem(
                entry=entry,
                kind="event",
                who=_actor_name(entry, conversation),
                text=text,
                detail=detail,
            )
        )
    return items


def pinned_items(items: list[TimelineItem]) -> list[TimelineItem]:
    """The pinned internal notes among ``items``, newest first."""
    return [item for item in reversed(items) if item.pinned]
