"""Inserting many rows in one go (imports, their audit entries): COPY on PostgreSQL.

Django's bulk_create spends ~100 µs a row in Python on PostgreSQL (it adapts every value and
builds arrays for UNNEST); COPY takes a few. Keys are drawn from the table's sequence first,
so the caller knows every new row's primary key, as bulk_create would tell it. Everything runs
inside the caller's transaction: a failure, or a killed process, leaves nothing behind.
"""

from __future__ import annotations

import operator
import queue
import threading
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection, transaction
from django.db.models import BooleanField, JSONField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def next_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the model's sequence, ascending (PostgreSQL)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])  # type: ignore[union-attr]
        return sorted(row[0] for row in cursor.fetchall())


def filter_in(queryset: QuerySet[Any], column: str, keys: Sequence[str]) -> Iterator[Any]:
    """The rows of `queryset` whose `column` is one of `keys` (text without commas), in few queries.

    `column__in` binds one parameter a key: for the 100,000 ID hashes of an import, psycopg and
    Django take about 10 µs a key to send them, the database a fraction of that. On PostgreSQL the
    keys go as one text, split by the server.
    """
    if uses_copy() and not any("," in key for key in keys):
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        condition = f"{table}.{connection.ops.quote_name(column)} = ANY(string_to_array(%s, ','))"
        for start in range(0, len(keys), 20_000):
            yield from queryset.filter(RawSQL(condition, [",".join(keys[start:start + 20_000])],
                                              output_field=BooleanField()))
        return
    for start in range(0, len(keys), 1000):
        yield from queryset.filter(**{f"{column}__in": keys[start:start + 1000]})


def among(model: type[Model], column: str, keys: Sequence[int]) -> Any:
    """A filter: `column` (an integer column of `model`) holds one of `keys`.

    `column__in` binds one parameter a key, and Django and psycopg take about 20 µs a key to
    build and send the statement: for the 2,000 new persons a chunk of an import, more than the
    database takes to run it. On PostgreSQL the keys go as one array.
    """
    if uses_copy():
        table = connection.ops.quote_name(model._meta.db_table)
        return RawSQL(f"{table}.{connection.ops.quote_name(column)} = ANY(%s::bigint[])",
                      [list(keys)], output_field=BooleanField())
    return Q(**{f"{column}__in": keys})


def copy_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows (values in the order of `columns`, as the database stores them) into the table."""
    quote = connection.ops.quote_name
    sql = (f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
           f"FROM STDIN")
    # Errors (a unique key taken meanwhile) come out as Django's IntegrityError, as from a save.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:  # the psycopg 3 cursor under Django's wrapper
            for row in rows:
                copy.write_row(row)


def insert_many(model: type[Model], objs: list[Any], *, batch_size: int = 2000) -> None:
    """Insert unsaved instances and set their primary keys; call inside a transaction."""
    if not objs:
        return
    if not uses_copy():
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    pk = model._meta.pk
    assert pk is not None
    for obj, key in zip(objs, next_ids(model, len(objs))):
        setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias
    columns, values = row_values(model)
    copy_rows(model, columns, (values(obj) for obj in objs))

def row_values(model: type[Model]) -> tuple[list[str], Callable[[Any], Sequence[Any]]]:
    """The table's columns, and a function giving an instance's values in their order."""
    fields = list(model._meta.concrete_fields)
    # JSON needs Django's adapter; every other value psycopg writes as it is.
    adapted = [(f.attname, f if isinstance(f, JSONField) else None) for f in fields]

    def values(obj: Any) -> Sequence[Any]:
        return [getattr(obj, name) if field is None
                else field.get_db_prep_save(getattr(obj, name), connection)
                for name, field in adapted]

    if len(adapted) > 1 and all(field is None for _name, field in adapted):
        # Nothing to adapt: one C call reads every attribute (an import does this a row).
        values = operator.attrgetter(*(name for name, _field in adapted))  # type: ignore[assignment]
    return [str(f.column) for f in fields], values


class _Aborted(Exception):
    pass


class CopyInBackground:
    """COPY rows into a table from a thread with its own connection and transaction, while the
    caller is still preparing them: PostgreSQL maintains the table's indexes on the other core
    meanwhile, instead of after the caller is done.

    `commit(then)` sends the last rows, runs `then` in the same transaction (the rest of the
    write: updates, audit entries) and commits; `abort()` rolls all of it back. Nothing is
    visible to anyone before the commit, and a process killed before it leaves nothing behind.
    The caller must end with one of the two, also when it fails itself.
    """

    _END = object()

    def __init__(self, model: type[Model], columns: Sequence[str], *, batch: int = 500) -> None:
        quote = connection.ops.quote_name
        self._sql = (f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                     f"FROM STDIN")
        # Bounded: the caller cannot run far ahead of the database and hold every row twice.
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=64)
        self._batch: list[Sequence[Any]] = []
        self._batch_size = batch
        self._failure: BaseException | None = None
        self._then: Callable[[], None] | None = None
        self._aborted = False
        self._done = False
        self._thread = threading.Thread(target=self._run, name="copy-in-background", daemon=True)
        self._thread.start()

    def write(self, row: Sequence[Any]) -> None:
        self._batch.append(row)
        if len(self._batch) >= self._batch_size:
            self._queue.put(self._batch)
            self._batch = []

    def commit(self, then: Callable[[], None]) -> None:
        if self._batch:
            self._queue.put(self._batch)
            self._batch = []
        self._then = then
        self._finish()
        if self._failure is not None:
            raise self._failure

    def abort(self) -> None:
        if not self._done:
            self._aborted = True
            self._finish()

    def _finish(self) -> None:
        self._done = True
        self._queue.put(self._END)
        self._thread.join()

    # Rows a COPY statement: PostgreSQL checks their foreign keys when it ends (see _run).
    STATEMENT_ROWS = 5000

    def _run(self) -> None:
        try:
            with transaction.atomic():
                with connection.wrap_database_errors, connection.cursor() as cursor:
                    # Django makes foreign keys deferred: checked at the commit, one by one, while
                    # the caller waits. Immediate, they are checked as each statement ends,
                    # while the caller is still preparing the next rows.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    item = self._queue.get()
                    while item is not self._END:
                        with cursor.cursor.copy(self._sql) as copy:
                            sent = 0
                            while item is not self._END and sent < self.STATEMENT_ROWS:
                                for row in item:
                                    copy.write_row(row)
                                sent += len(item)
                                item = self._queue.get()
                    if self._aborted:
                        raise _Aborted()
                if self._then is not None:
                    self._then()
        except _Aborted:
            pass
        except BaseException as exc:  # handed to the caller's thread by commit()
            self._failure = exc
            if not self._done:
                # Keep taking rows until the caller is done, so that it never blocks on a full queue.
                while self._queue.get() is not self._END:
                    pass
        finally:
            connection.close()
