"""``audit_verify`` names every kind of tampering; the changes are made with raw SQL, as someone
with database access would, since the ORM refuses them."""

from __future__ import annotations

import pytest

from kefu.audit.chain import GENESIS_HASH
from kefu.audit.models import AuditChainHead
from kefu.audit.tests.conftest import rehash, stored_hash, tamper
from kefu.audit.verify import Anchor, audit_verify

FORGED = "f" * 64


def problems(**kwargs):
    report = audit_verify(**kwargs)
    assert report.ok is (report.problems == [])
    return report.problems


def test_an_intact_chain_verifies(five_entries):
    report = audit_verify()

    assert report.as_dict() == {
        "ok": True,
        "entries": 5,
        "head_seq": 5,
        "head_hash": five_entries[-1].hash,
        "problems": [],
        "problems_total": 0,
        "anchors": [],
        "db_guard": True,
    }


def test_an_empty_log_verifies(db):
    report = audit_verify()

    assert (report.ok, report.entries, report.head_seq, report.head_hash) == (
        True,
        0,
        0,
        GENESIS_HASH,
    )


def test_small_pages_read_the_same_chain(five_entries):
    assert audit_verify(chunk_size=2).as_dict() == audit_verify(chunk_size=5000).as_dict()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "'thing.other'"),
        ("actor_ref", "'agent:8'"),
        ("object_id", "'99'"),
        ("data", '\'{"n": 3, "note": "step 4"}\''),
        ("ip", "NULL"),
        ("created_at", "created_at"),  # rewritten below with a shifted time
    ],
)
def test_a_changed_field_is_altered(five_entries, column, value):
    if column == "created_at":
        tamper("UPDATE audit_auditentry SET created_at = %s WHERE seq = 3", ["2020-01-01T00:00Z"])
    else:
        tamper(f"UPDATE audit_auditentry SET {column} = {value} WHERE seq = 3")  # noqa: S608

    assert problems() == [
        {"seq": 3, "problem": "altered", "detail": "its fields do not match its hash"}
    ]


def test_an_entry_rewritten_with_a_fresh_hash_is_altered(five_entries):
    tamper(
        "UPDATE audit_auditentry SET action = 'thing.other', hash = %s WHERE seq = 3",
        [rehash(3, action="thing.other")],
    )

    assert problems() == [
        {"seq": 3, "problem": "altered", "detail": "rewritten: the next entry does not point at it"}
    ]


def test_a_deleted_entry_in_the_middle(five_entries):
    tamper("DELETE FROM audit_auditentry WHERE seq = 3")

    assert problems() == [{"seq": 3, "problem": "deleted", "to_seq": 3}]


def test_deleting_the_newest_entries_shows_against_the_head(five_entries):
    tamper("DELETE FROM audit_auditentry WHERE seq >= 4")

    assert problems() == [{"seq": 4, "problem": "deleted", "to_seq": 5}]


def test_swapped_entries_are_reordered(five_entries):
    tamper("UPDATE audit_auditentry SET seq = -2 WHERE seq = 2")
    tamper("UPDATE audit_auditentry SET seq = 2 WHERE seq = 3")
    tamper("UPDATE audit_auditentry SET seq = 3 WHERE seq = -2")

    assert problems() == [
        {"seq": 2, "problem": "reordered", "original_seq": 3},
        {"seq": 3, "problem": "reordered", "original_seq": 2},
    ]


def test_an_entry_moved_into_a_gap_is_reordered(five_entries):
    tamper("DELETE FROM audit_auditentry WHERE seq = 4")
    tamper("UPDATE audit_auditentry SET seq = 4 WHERE seq = 2")

    assert problems() == [
        {"seq": 2, "problem": "deleted", "to_seq": 2},
        {"seq": 4, "problem": "reordered", "original_seq": 2},
    ]


def test_a_forged_entry_in_place_of_a_deleted_one_is_inserted(five_entries):
    original = stored_hash(3)
    tamper("DELETE FROM audit_auditentry WHERE seq = 3")
    forged = rehash(2, seq=3, prev_hash=FORGED, action="thing.forged")
    tamper(
        "INSERT INTO audit_auditentry (seq, prev_hash, hash, created_at, actor_kind, actor_ref,"
        " action, object_type, object_id, data, ip)"
        " SELECT 3, %s, %s, created_at, actor_kind, actor_ref, 'thing.forged', object_type,"
        " object_id, data, ip FROM audit_auditentry WHERE seq = 2",
        [FORGED, forged],
    )

    assert forged != original
    assert problems() == [
        {"seq": 3, "problem": "inserted", "detail": "chains to neither neighbour"}
    ]


def test_an_entry_added_after_the_head_is_inserted(five_entries):
    tamper(
        "INSERT INTO audit_auditentry (seq, prev_hash, hash, created_at, actor_kind, actor_ref,"
        " action, object_type, object_id, data, ip)"
        " SELECT 9, %s, %s, created_at, actor_kind, actor_ref, action, object_type, object_id,"
        " data, ip FROM audit_auditentry WHERE seq = 5",
        [stored_hash(5), FORGED],
    )

    assert problems() == [{"seq": 9, "problem": "inserted", "detail": "beyond the chain head"}]


def test_a_head_that_names_another_hash_is_a_mismatch(five_entries):
    tamper("UPDATE audit_auditchainhead SET hash = %s", [FORGED])

    assert problems() == [
        {"seq": 5, "problem": "head_mismatch", "expected": FORGED, "found": stored_hash(5)}
    ]


def test_a_missing_head_is_a_mismatch(five_entries):
    tamper("DELETE FROM audit_auditchainhead")

    assert problems() == [
        {"seq": 0, "problem": "head_mismatch", "detail": "the chain head record is missing"}
    ]


def test_only_the_first_problems_are_listed_but_all_are_counted(five_entries):
    tamper("UPDATE audit_auditentry SET action = 'x'")

    report = audit_verify(max_problems=2)

    assert (report.ok, report.problems_total, [p["seq"] for p in report.problems]) == (
        False,
        5,
        [1, 2],
    )


# --- anchors: a rewrite of the whole chain and its head ---------------------------------------


def _rewrite_everything_from(seq: int) -> None:
    """What someone who owns the database can do: change entry ``seq``, then recompute every
    later hash and the head, so the chain is consistent again."""
    tamper("UPDATE audit_auditentry SET action = 'thing.rewritten' WHERE seq = %s", [seq])
    head = AuditChainHead.objects.get()
    previous = stored_hash(seq - 1) if seq > 1 else GENESIS_HASH
    for n in range(seq, head.seq + 1):
        digest = rehash(n, prev_hash=previous)
        tamper(
            "UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s",
            [previous, digest, n],
        )
        previous = digest
    tamper("UPDATE audit_auditchainhead SET hash = %s", [previous])


def test_a_consistent_rewrite_passes_without_an_anchor_and_fails_with_one(five_entries):
    anchor = Anchor(seq=4, hash=stored_hash(4))
    _rewrite_everything_from(3)

    assert problems() == []
    report = audit_verify(anchors=[anchor])
    assert report.ok is False
    assert report.problems == [
        {"seq": 4, "problem": "anchor_mismatch", "expected": anchor.hash, "found": stored_hash(4)}
    ]
    assert report.anchors == [{"seq": 4, "hash": anchor.hash, "ok": False}]


def test_an_anchor_before_the_rewrite_still_holds(five_entries):
    anchor = Anchor(seq=2, hash=stored_hash(2))
    _rewrite_everything_from(3)

    report = audit_verify(anchors=[anchor])

    assert (report.ok, report.anchors) == (True, [{"seq": 2, "hash": anchor.hash, "ok": True}])


def test_an_anchor_whose_entry_is_gone_fails(five_entries):
    anchor = Anchor(seq=5, hash=stored_hash(5))
    tamper("DELETE FROM audit_auditentry WHERE seq = 5")
    tamper("UPDATE audit_auditchainhead SET seq = 4, hash = %s", [stored_hash(4)])

    assert problems() == []  # the newest entry and the head went together
    assert problems(anchors=[anchor]) == [
        {"seq": 5, "problem": "anchor_mismatch", "expected": anchor.hash, "found": None}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12:" + "A" * 64, Anchor(seq=12, hash="a" * 64)),
        (" 3 : " + "0" * 64 + " ", Anchor(seq=3, hash="0" * 64)),
    ],
)
def test_anchor_parsing(text, expected):
    assert Anchor.parse(text) == expected


@pytest.mark.parametrize("text", ["12", "x:" + "a" * 64, "1:" + "a" * 63, "1:" + "g" * 64, ""])
def test_malformed_anchors_are_refused(text):
    with pytest.raises(ValueError):
        Anchor.parse(text)
