"""Querysets compiled once and run again with other ids, for the few reads on every reply.

Django compiles a queryset to SQL each time it runs, and for the short look-ups an agent's
reply makes (a row by its id, the rows of one conversation) compiling costs more than running
the query. :class:`Prepared` builds its queryset once per database connection, with stand-in
ids, keeps the SQL and where each id goes, and then only executes it: the same statement, the
same rows, the same model instances (the ORM's own converters and ``select_related``
populators make them), as ``list(build(*ids))`` would give.

Only for querysets whose variable parts are integer ids (primary and foreign keys, passed to
``build``; a shape may leave one unused): every other value in the query must be a constant of
its shape. ``build`` is
called again, with the same stand-ins, for each new connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

M = TypeVar("M", bound=Model)

# Stand-ins for the ids while compiling: no real id or constant of a query is this large.
_STAND_IN = 7_340_032_000_000


class Prepared(Generic[M]):
    """``build(*ids)``'s rows, compiled once per connection (see the module docstring)."""

    def __init__(
        self, build: Callable[..., QuerySet[M]], *, ids: int, name: str, using: str = "default"
    ) -> None:
        self.build, self.ids, self.using = build, ids, using
        self.key = f"kefu_prepared:{name}"

    def __call__(self, *ids: int) -> list[M]:
        if len(ids) != self.ids:
            raise TypeError(f"{self.key} takes {self.ids} ids")
        connection = connections[self.using]
        plan: _Plan | None = connection.__dict__.get(self.key)
        if plan is None:
            stand_ins = [_STAND_IN + i for i in range(self.ids)]
            queryset = self.build(*stand_ins).using(self.using)
            plan = connection.__dict__[self.key] = _Plan(queryset, stand_ins)
        return plan.run(connection, self.using, ids)  # type: ignore[return-value]


class _Plan:
    """One connection's compiled statement and how to turn its rows into instances."""

    def __init__(self, queryset: QuerySet[Any], stand_ins: Sequence[int]) -> None:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        self.sql, self.params = sql, list(params)
        self.positions: list[list[int]] = []
        for stand_in in stand_ins:
            # No place for an id this shape does not use (a supervisor's scope has no user id).
            self.positions.append([i for i, p in enumerate(self.params) if p == stand_in])
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        if compiler.annotation_col_map or queryset._known_related_objects:  # type: ignore[attr-defined]
            raise ValueError("annotations and known related objects are not supported")
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, queryset.db)
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])

    def run(self, connection: Any, db: str, ids: Sequence[int]) -> list[Model]:
        params = list(self.params)
        for value, where in zip(ids, self.positions, strict=True):
            for i in where:
                params[i] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows: Any = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            obj = self.model.from_db(db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found
