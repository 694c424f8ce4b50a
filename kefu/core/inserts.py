"""One multi-row INSERT of new model instances, without the ORM's per-object SQL compilation.

``QuerySet.bulk_create`` compiles every value of every row through ``SQLInsertCompiler``
(placeholders, expression checks, parameter flattening): for a batch of chat messages that
cost more CPU than the database took to store them. ``insert_new`` writes the same rows with
the same values: each field's ``pre_save`` and ``get_db_prep_save`` as the compiler calls them,
into a statement whose text is built once per model and row count, with
``RETURNING <primary key>`` (PostgreSQL, SQLite >= 3.35) setting each instance's id as
``bulk_create`` does. Anything it does not cover (a model with other database-returned fields,
an expression as a value, a backend without multi-row RETURNING) goes to ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import AutoField

M = TypeVar("M", bound=models.Model)
_TEXT = (models.CharField, models.TextField)  # exactly these classes, not their subclasses


@lru_cache(maxsize=64)
def _statement(model: type[models.Model], alias: str, rows: int) -> str:
    connection = connections[alias]
    opts = model._meta
    qn = connection.ops.quote_name
    fields = _fields(model)
    returning, _params = connection.ops.return_insert_columns([opts.pk])
    columns = ", ".join(qn(f.column) for f in fields)
    placeholders: Any = [["%s"] * len(fields)] * rows  # stubs say list[str]; it takes rows
    values = connection.ops.bulk_insert_sql(fields, placeholders)
    return (
        f"{connection.ops.insert_statement()} {qn(opts.db_table)} ({columns}) {values} {returning}"
    )


@lru_cache(maxsize=64)
def _fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if not f.generated and not isinstance(f, AutoField)  # as bulk_create without pks
    )


def _plain(model: type[models.Model], alias: str) -> bool:
    opts = model._meta
    connection = connections[alias]
    return (
        connection.features.can_return_rows_from_bulk_insert
        and list(opts.db_returning_fields) == [opts.pk]
        and isinstance(opts.pk, AutoField)
        and not opts.parents
    )


def insert_new(model: type[M], objs: Sequence[M]) -> None:
    """Insert ``objs`` (new instances of ``model`` without a primary key) as
    ``model.objects.bulk_create(objs)`` would, and set their ids."""
    if not objs:
        return
    alias = router.db_for_write(model)
    if not _plain(model, alias) or any(o.pk is not None for o in objs):
        _bulk_create(model, alias, objs)
        return
    connection = connections[alias]
    fields = _fields(model)
    rows: list[list[Any]] = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        row = [field.pre_save(obj, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in row):
            _bulk_create(model, alias, objs)
            return
        rows.append(
            [
                # A string for a plain text column is stored as it is (``get_db_prep_save``
                # returns it unchanged: ``to_python`` of a str): skip the calls.
                v if type(v) is str and type(f) in _TEXT else f.get_db_prep_save(v, connection)
                for f, v in zip(fields, row, strict=True)
            ]
        )
    size = max(connection.ops.bulk_batch_size(list(fields), list(objs)), 1)
    pk = model._meta.pk
    assert pk is not None
    column = pk.get_col(model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    ids: list[Any] = []
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(_statement(model, alias, len(chunk)), [v for row in chunk for v in row])
            returned = connection.ops.fetch_returned_insert_rows(cursor)  # type: ignore[attr-defined]
            ids += [row[0] for row in returned]
    if len(ids) != len(objs):
        raise RuntimeError(f"the database returned {len(ids)} ids for {len(objs)} rows")
    for obj, value in zip(objs, ids, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        obj.pk = value
        obj._state.adding = False
        obj._state.db = alias


def _bulk_create(model: type[M], alias: str, objs: Sequence[M]) -> None:
    queryset: models.QuerySet[M] = models.QuerySet(model=model, using=alias)
    queryset.bulk_create(objs)
