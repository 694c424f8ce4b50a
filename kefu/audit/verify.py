"""Check the audit chain end to end: ``kefu audit verify`` and ``kefu audit head``.

Entries are read in sequence order, a page of ``chunk_size`` rows at a time by the unique
``seq`` index (constant memory, no long transaction, no server-side cursor), and each one is
rehashed. What the checks see, and how they name it:

- ``altered``: an entry's fields no longer match its hash; or an entry was rewritten with a
  recomputed hash, so the next entry's ``prev_hash`` no longer points at it.
- ``deleted``: sequence numbers are missing, in the middle or at the end (the head row says how
  far the chain went).
- ``reordered``: an entry's hash is valid for another position (its ``seq`` was changed).
- ``inserted``: an entry that chains to neither neighbour, or lies beyond the head.
- ``head_mismatch``: the head row disagrees with the entry it names, or is missing.
- ``anchor_mismatch``: an anchor recorded earlier (``--anchor SEQ:HASH``) is no longer in the
  chain.

Appends may go on while this runs: the head is read before the scan (every entry up to it must
be there) and again after it (entries scanned beyond that one were not appended normally).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection

from kefu.audit import triggers
from kefu.audit.chain import GENESIS_HASH, EntryFields, entry_hash
from kefu.audit.models import AuditChainHead, AuditEntry

_COLUMNS = (
    "seq",
    "prev_hash",
    "created_at",
    "actor_kind",
    "actor_ref",
    "action",
    "object_type",
    "object_id",
    "data",
    "ip",
    "hash",
)
_MAX_REORDER_DEPTH = 8  # how far back a run of moved entries is followed
_Report = Callable[..., None]


@dataclass(frozen=True, slots=True)
class Anchor:
    """An entry's number and hash, recorded outside the database."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``"1234:9f86d0…"`` → Anchor; ValueError for anything else."""
        seq, sep, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if not sep or not seq.strip().isdigit() or len(digest) != 64:
            raise ValueError(f"an anchor is SEQ:HASH (64 hex digits), not {text!r}")
        int(digest, 16)  # ValueError unless hex
        return cls(seq=int(seq), hash=digest)


@dataclass
class VerifyReport:
    ok: bool
    entries: int
    head_seq: int | None
    head_hash: str | None
    problems: list[dict[str, Any]]
    problems_total: int
    anchors: list[dict[str, Any]] = field(default_factory=list)
    db_guard: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": self.problems,
            "problems_total": self.problems_total,
            "anchors": self.anchors,
            "db_guard": self.db_guard,
        }


def audit_head() -> dict[str, Any]:
    """The current head as ``{"seq", "hash", "created_at"}`` (seq 0 before the first entry)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    seq, digest = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    newest = AuditEntry.objects.filter(seq=seq).values_list("created_at", flat=True).first()
    return {
        "seq": seq,
        "hash": digest,
        "created_at": newest.isoformat() if newest is not None else None,
    }


def _fields(row: tuple[Any, ...]) -> tuple[EntryFields, str]:
    return EntryFields(*row[:-1]), row[-1]


def _stream(chunk_size: int) -> Iterator[tuple[EntryFields, str]]:
    """Every entry in sequence order, ``chunk_size`` rows per query."""
    qs = AuditEntry.objects.order_by("seq").values_list(*_COLUMNS)
    last: int | None = None
    while True:
        page = list((qs if last is None else qs.filter(seq__gt=last))[:chunk_size])
        for row in page:
            yield _fields(row)
        if len(page) < chunk_size:
            return
        last = page[-1][0]


class _Problems:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[dict[str, Any]] = []
        self.total = 0

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def add(self, seq: int, problem: str, **details: Any) -> None:
        self.total += 1
        if not self.full:
            self.items.append({"seq": seq, "problem": problem, **details})


def _original_seq(entry: EntryFields, digest: str, depth: int = 0) -> int | None:
    """The position ``entry``'s own hash is valid for, found through the entry its
    ``prev_hash`` names (an index lookup on ``hash``); None when there is none."""
    if entry.prev_hash == GENESIS_HASH:
        candidate = 1
    else:
        row = AuditEntry.objects.filter(hash=entry.prev_hash).values_list(*_COLUMNS).first()
        if row is None:
            return None
        previous, previous_digest = _fields(row)
        if entry_hash(previous) == previous_digest:
            candidate = previous.seq + 1
        elif depth < _MAX_REORDER_DEPTH:
            before = _original_seq(previous, previous_digest, depth + 1)
            if before is None:
                return None
            candidate = before + 1
        else:
            return None
    return candidate if entry_hash(replace(entry, seq=candidate)) == digest else None


def audit_verify(
    *, anchors: Sequence[Anchor] = (), chunk_size: int = 2000, max_problems: int = 20
) -> VerifyReport:
    """Recompute the whole chain and compare it with the head and the given anchors."""
    problems = _Problems(max_problems)
    start = AuditChainHead.objects.filter(pk=1).first()
    start_seq = start.seq if start is not None else 0
    wanted = {a.seq: a for a in anchors}
    found: dict[int, str] = {}

    count = 0
    prev_seq, prev_hash, prev_ok = 0, GENESIS_HASH, True
    # A self-consistent entry whose link to its predecessor is broken, judged at the next entry:
    # broken on both sides means it was forged in; on one side, its predecessor was rewritten.
    broken_in: int | None = None
    # Entries past the starting head may be appends made during the scan: what they show is
    # held back until the head is read again, then reported, or replaced by "inserted".
    deferred: dict[int, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}
    for entry, digest in _stream(chunk_size):
        count += 1
        if entry.seq in wanted:
            found[entry.seq] = digest
        if entry.seq < 1:
            problems.add(entry.seq, "inserted", detail="sequence numbers start at 1")
            continue
        if start is not None and entry.seq > start_seq:
            held = deferred.setdefault(entry.seq, [])
            report = _holder(held)
        else:
            report = problems.add
        if start is not None and entry.seq == start_seq and digest != start.hash:
            report(entry.seq, "head_mismatch", expected=start.hash, found=digest)
        gap = entry.seq != prev_seq + 1
        if gap:
            report(prev_seq + 1, "deleted", to_seq=entry.seq - 1)
        self_ok = entry_hash(entry) == digest
        if not self_ok:
            original = None if problems.full else _original_seq(entry, digest)
            if original is not None and original != entry.seq:
                report(entry.seq, "reordered", original_seq=original)
            else:
                report(entry.seq, "altered", detail="its fields do not match its hash")
        link_broken = self_ok and prev_ok and not gap and entry.prev_hash != prev_hash
        if broken_in is not None:
            if link_broken:
                report(broken_in, "inserted", detail="chains to neither neighbour")
                link_broken = False  # explained by the forged entry
            else:
                _rewritten(report, broken_in)
        broken_in = entry.seq if link_broken else None
        prev_seq, prev_hash, prev_ok = entry.seq, digest, self_ok

    end = AuditChainHead.objects.filter(pk=1).first()
    end_seq = end.seq if end is not None else prev_seq  # no head: nothing to compare with
    for seq, held_problems in sorted(deferred.items()):
        if seq > end_seq:
            problems.add(seq, "inserted", detail="beyond the chain head")
        else:
            for args, kwargs in held_problems:
                problems.add(*args, **kwargs)
    if broken_in is not None and broken_in <= end_seq:
        _rewritten(problems.add, broken_in)
    if start is None and count:
        problems.add(0, "head_mismatch", detail="the chain head record is missing")
    if prev_seq < start_seq:
        problems.add(prev_seq + 1, "deleted", to_seq=start_seq)

    anchor_results = []
    for anchor in anchors:
        ok = found.get(anchor.seq) == anchor.hash
        anchor_results.append({"seq": anchor.seq, "hash": anchor.hash, "ok": ok})
        if not ok:
            problems.add(
                anchor.seq, "anchor_mismatch", expected=anchor.hash, found=found.get(anchor.seq)
            )

    return VerifyReport(
        ok=problems.total == 0,
        entries=count,
        head_seq=start.seq if start is not None else None,
        head_hash=start.hash if start is not None else None,
        problems=problems.items,
        problems_total=problems.total,
        anchors=anchor_results,
        db_guard=triggers.installed(connection),
    )


def _holder(held: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> _Report:
    def hold(*args: Any, **kwargs: Any) -> None:
        held.append((args, kwargs))

    return hold


def _rewritten(report: _Report, seq: int) -> None:
    """Entry ``seq`` does not chain to its predecessor, and its successor chains to it."""
    if seq == 1:
        report(seq, "altered", detail="does not start from the genesis hash")
    else:
        report(seq - 1, "altered", detail="rewritten: the next entry does not point at it")
