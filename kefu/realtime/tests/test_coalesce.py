"""``inbox.changed`` throttled per group: nothing lost, nothing late, a frame per interval."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.realtime import coalesce
from kefu.realtime.coalesce import InboxThrottle, inbox_payload


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def change(conversation_id: int, reason: str = "message") -> dict[str, Any]:
    return inbox_payload({conversation_id: reason})


def test_a_single_change_keeps_the_v1_fields_and_lists_itself() -> None:
    assert change(7, "created") == {
        "type": "inbox.changed",
        "conversation_id": 7,
        "reason": "created",
        "changes": [{"conversation_id": 7, "reason": "created"}],
    }


def test_the_first_change_goes_at_once_and_the_next_ones_wait_for_the_interval() -> None:
    clock = Clock()
    throttle = InboxThrottle(0.25, clock=clock)
    assert throttle.admit([("inbox.all", change(1))]) == [("inbox.all", change(1))]
    clock.now += 0.05
    assert throttle.admit([("inbox.all", change(2)), ("inbox.all", change(3, "assigned"))]) == []
    assert throttle.next_due() == 100.25
    clock.now = 100.2
    assert throttle.flush() == []  # not due yet
    clock.now = 100.25
    [(group, frame)] = throttle.flush()
    assert group == "inbox.all"
    assert (frame["conversation_id"], frame["reason"]) == (3, "assigned")
    assert frame["changes"] == [
        {"conversation_id": 2, "reason": "message"},
        {"conversation_id": 3, "reason": "assigned"},
    ]
    assert throttle.next_due() is None
    # The flush counts as the group's last frame: the next change within 0.25 s waits.
    clock.now = 100.3
    assert throttle.admit([("inbox.all", change(4))]) == []
    assert throttle.next_due() == 100.5
    # After a quiet interval a change goes at once again.
    clock.now = 100.5
    assert len(throttle.flush()) == 1
    clock.now = 101.0
    assert throttle.admit([("inbox.all", change(5))]) == [("inbox.all", change(5))]


def test_other_frames_and_other_groups_are_not_held() -> None:
    clock = Clock()
    throttle = InboxThrottle(0.25, clock=clock)
    typing = {"type": "typing", "conversation_id": 1}
    throttle.admit([("inbox.all", change(1))])
    sent = throttle.admit(
        [("inbox.all", change(2)), ("conv.1.staff", typing), ("inbox.team.3", change(2))]
    )
    assert sent == [("conv.1.staff", typing), ("inbox.team.3", change(2))]


def test_a_conversation_changed_twice_is_listed_once_with_its_newest_reason_last() -> None:
    clock = Clock()
    throttle = InboxThrottle(1.0, clock=clock)
    throttle.admit([("g", change(1))])
    throttle.admit([("g", change(1, "message")), ("g", change(2)), ("g", change(1, "closed"))])
    clock.now += 1
    [(_g, frame)] = throttle.flush()
    assert frame["changes"] == [
        {"conversation_id": 2, "reason": "message"},
        {"conversation_id": 1, "reason": "closed"},
    ]
    assert (frame["conversation_id"], frame["reason"]) == (1, "closed")


def test_a_frame_lists_at_most_the_newest_changes_and_says_it_dropped_some() -> None:
    clock = Clock()
    throttle = InboxThrottle(1.0, clock=clock)
    throttle.admit([("g", change(0))])
    extra = coalesce.MAX_CHANGES + 5
    throttle.admit([("g", change(i)) for i in range(1, extra + 1)])
    clock.now += 1
    [(_g, frame)] = throttle.flush()
    assert frame["truncated"] is True
    ids = [c["conversation_id"] for c in frame["changes"]]
    assert ids == list(range(6, extra + 1))
    # The next frame starts clean.
    throttle.admit([("g", change(1))])
    clock.now += 1
    [(_g, frame)] = throttle.flush()
    assert "truncated" not in frame


def test_interval_zero_sends_every_change() -> None:
    throttle = InboxThrottle(0, clock=Clock())
    frames = [("g", change(i)) for i in range(5)]
    assert throttle.admit(frames) == frames
    assert throttle.next_due() is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=0.4),  # time since the previous change
            st.sampled_from(["inbox.all", "inbox.team.1", "inbox.agent.2"]),
            st.integers(min_value=1, max_value=6),
        ),
        max_size=60,
    )
)
def test_every_change_is_sent_within_one_interval_and_frames_are_an_interval_apart(
    changes: list[tuple[float, str, int]],
) -> None:
    interval = 0.25
    clock = Clock()
    throttle = InboxThrottle(interval, clock=clock)
    sent: list[tuple[float, str, dict[str, Any]]] = []

    def run_timers_until(t: float) -> None:
        # What the outbox's timer does: flush at each due time up to ``t``.
        while (due := throttle.next_due()) is not None and due <= t:
            clock.now = due
            sent.extend((clock.now, g, f) for g, f in throttle.flush())
        clock.now = t

    pending: list[tuple[float, str, int]] = []
    t = clock.now
    for gap, group, conversation_id in changes:
        t += gap
        run_timers_until(t)
        pending.append((t, group, conversation_id))
        sent.extend((t, g, f) for g, f in throttle.admit([(group, change(conversation_id))]))
    run_timers_until(t + 10)
    assert throttle.next_due() is None

    for at, group, conversation_id in pending:
        # Some frame of the group, sent at or after the change and within one interval of it,
        # lists the conversation.
        assert any(
            g == group
            and at <= when <= at + interval + 1e-9
            and any(c["conversation_id"] == conversation_id for c in f["changes"])
            for when, g, f in sent
        ), (at, group, conversation_id)
    for group in {g for _t, g, _f in sent}:
        times = [when for when, g, _f in sent if g == group]
        assert all(b - a >= interval - 1e-9 for a, b in itertools.pairwise(times))
