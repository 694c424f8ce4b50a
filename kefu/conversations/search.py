"""Full-text search over conversation subjects and messages, in English and Chinese.

Text is pre-tokenised in Python so both databases index the same terms: Latin words are
lower-cased, CJK runs become overlapping bigrams
("提现失败" -> "提现 现失 失败"),
so a two-character Chinese word matches without a dictionary. SQLite keeps the terms in an FTS5
table; PostgreSQL in a text[] column with a GIN index. A query matches conversations containing
all of its terms.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models.expressions import RawSQL

MAX_DOC_CHARS = 20_000
MAX_QUERY_TERMS = 8

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")


def tokenize(text: str) -> list[str]:
    """Split text into search terms (deduplicated, order kept)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    terms: list[str] = []
    for match in _TOKEN.finditer(text):
        run = match.group()
        if _IS_CJK.match(run):
            if len(run) == 1:
                terms.append(run)
            else:
                terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run[:64])
    return list(dict.fromkeys(terms))


def _write(conversation_id: int, terms: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO conversations_search (conversation_id, terms) VALUES (%s, %s) "
                "ON CONFLICT (conversation_id) DO UPDATE SET terms = EXCLUDED.terms",
                [conversation_id, terms],
            )
        else:
            cursor.execute("DELETE FROM conversations_fts WHERE rowid = %s", [conversation_id])
            cursor.execute(
                "INSERT INTO conversations_fts (rowid, terms) VALUES (%s, %s)",
                [conversation_id, " ".join(terms)],
            )


def index_conversation(conversation_id: int, texts: list[str]) -> None:
    """Replace the search terms of one conversation (called by services in their transaction)."""
    doc = "\n".join(texts)[:MAX_DOC_CHARS]
    _write(conversation_id, tokenize(doc))


def append_to_index(conversation_id: int, text: str) -> None:
    """Add the terms of one new message to a conversation's index."""
    terms = tokenize(text[:MAX_DOC_CHARS])
    if not terms:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO conversations_search (conversation_id, terms) VALUES (%s, %s) "
                "ON CONFLICT (conversation_id) DO UPDATE SET terms = ARRAY("
                "SELECT DISTINCT unnest(conversations_search.terms || EXCLUDED.terms))",
                [conversation_id, terms],
            )
            return
    _write(conversation_id, list(dict.fromkeys(stored_terms(conversation_id) + terms)))


def append_many(texts: dict[int, list[str]]) -> None:
    """``append_to_index`` for several conversations at once (batched chat writes): the same
    result, in one statement per database round instead of one set per conversation."""
    new = {
        cid: list(dict.fromkeys(t for part in parts for t in tokenize(part[:MAX_DOC_CHARS])))
        for cid, parts in texts.items()
    }
    new = {cid: terms for cid, terms in new.items() if terms}
    if not new:
        return
    ids = list(new)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany(
                "INSERT INTO conversations_search (conversation_id, terms) VALUES (%s, %s) "
                "ON CONFLICT (conversation_id) DO UPDATE SET terms = ARRAY("
                "SELECT DISTINCT unnest(conversations_search.terms || EXCLUDED.terms))",
                [[cid, new[cid]] for cid in ids],
            )
            return
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT rowid, terms FROM conversations_fts WHERE rowid IN ({marks})",  # noqa: S608
            ids,
        )
        stored = {rowid: terms.split() for rowid, terms in cursor.fetchall()}
        rows: list[tuple[int, str]] = []
        for cid in ids:
            old = stored.get(cid)
            terms = list(dict.fromkeys((old or []) + new[cid]))
            if terms != old:  # no new term: the row stays as it is
                rows.append((cid, " ".join(terms)))
        # One REPLACE per row instead of a DELETE of the rows and an INSERT: the same rows,
        # and FTS5 does a replace in well under half the time of the separate delete.
        if rows:
            cursor.executemany(
                "INSERT OR REPLACE INTO conversations_fts (rowid, terms) VALUES (%s, %s)", rows
            )


def stored_terms(conversation_id: int) -> list[str]:
    """The search terms stored for one conversation, on either database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT terms FROM conversations_search WHERE conversation_id = %s",
                [conversation_id],
            )
            row = cursor.fetchone()
            return list(row[0]) if row else []
        cursor.execute("SELECT terms FROM conversations_fts WHERE rowid = %s", [conversation_id])
        row = cursor.fetchone()
    return row[0].split() if row else []


def matching_ids(query: str) -> RawSQL | None:
    """A subquery of conversation ids matching every term of ``query``; None if no terms."""
    terms = tokenize(query)[:MAX_QUERY_TERMS]
    if not terms:
        return None
    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT conversation_id FROM conversations_search WHERE terms @> %s::text[]",
            [terms],
        )
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return RawSQL("SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH %s", [match])
