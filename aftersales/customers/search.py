"""Searching as agents search: the last four digits of a phone, a middle part of a serial
number, part of a name (a company's short name), on top of the prefix lookups.

A substring is not answered by a B-tree index, so each database gets its own:

- PostgreSQL: trigram GIN indexes (pg_trgm) on the unit's serial and the customer's name;
  `LIKE '%...%'` uses them for three characters or more.
- SQLite: FTS5 tables with the trigram tokenizer, kept in step with the tables by triggers.

Both are created (if missing) after every `migrate` (`ensure_search_structures`, connected in
CustomersConfig.ready): SQLite drops a table's triggers when a migration rebuilds the table,
so a migration alone could not keep them. The last four digits of a phone have an expression
index on both (`substr(phone, -4)` / `right(phone, 4)`). Shorter substrings (a two-character
name) fall back to a scan, capped like every search (core.selectors.SEARCH_CAP).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection as default_connection
from django.db import connections
from django.db.models import CharField, Func, Model, QuerySet
from django.db.models.expressions import RawSQL

_M = TypeVar("_M", bound=Model)

# (FTS table, source table, column) for SQLite.
FTS = [
    ("customers_unit_serial_fts", "customers_installedunit", "serial"),
    ("customers_customer_name_fts", "customers_customer", "name"),
]
# (index name, table, column) for PostgreSQL.
TRIGRAM = [
    ("customers_unit_serial_trgm", "customers_installedunit", "serial"),
    ("customers_customer_name_trgm", "customers_customer", "name"),
]
LAST4_INDEX = "customers_customer_phone_last4"


class PhoneLast4(Func):
    """The last four characters of a phone, written exactly as the expression index is."""

    output_field = CharField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"right({sql}, 4)", params
        return f"substr({sql}, -4)", params


def _sqlite_statements() -> list[str]:
    out = []
    for fts, table, column in FTS:
        out += [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, "
            f"content='{table}', content_rowid='id', tokenize='trigram')",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608 - constant names
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608 - constant names
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            "END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "  # noqa: S608 - constant names
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        ]
    out.append(
        f"CREATE INDEX IF NOT EXISTS {LAST4_INDEX} ON customers_customer (substr(phone, -4))"
    )
    return out


def ensure_search_structures(connection: Any = None) -> bool:
    """Create the substring indexes if missing; True if anything was (re)built."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {"customers_installedunit", "customers_customer"} <= tables:
            return False
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
                [[name for name, _t, _c in TRIGRAM] + [LAST4_INDEX]],
            )
            have = {row[0] for row in cursor.fetchall()}
            if len(have) == len(TRIGRAM) + 1:
                return False
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for name, table, column in TRIGRAM:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
                    f"({column} gin_trgm_ops)"
                )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {LAST4_INDEX} ON customers_customer (right(phone, 4))"
            )
            return True
        if connection.vendor != "sqlite":
            return False
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")
        have = {row[0] for row in cursor.fetchall()}
        wanted = {f for f, _t, _c in FTS} | {
            f"{f}_{kind}" for f, _t, _c in FTS for kind in ("ai", "ad", "au")
        }
        if wanted <= have and LAST4_INDEX in have:
            return False
        for statement in _sqlite_statements():
            cursor.execute(statement)
        for fts, _table, _column in FTS:  # whatever changed while a trigger was missing
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 - constant names
        return True


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def contains(qs: QuerySet[_M], field: str, text: str) -> QuerySet[_M]:
    """Rows of `qs` whose `field` (serial or name) contains `text`, through the substring
    index where the database has one and the text is long enough for it."""
    if not text:
        return qs.none()
    vendor = connections[qs.db].vendor
    if vendor == "sqlite" and len(text) >= 3:
        fts = {"serial": FTS[0][0], "name": FTS[1][0]}[field]
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608 - constant names
        return qs.filter(pk__in=RawSQL(sql, [_fts_phrase(text)]))  # noqa: S611 - text is a param
    return qs.filter(**{f"{field}__contains": text})


def phone_ends_with(qs: QuerySet[_M], digits: str) -> QuerySet[_M]:
    """Customers whose phone ends with these four digits (the expression index)."""
    return qs.annotate(_last4=PhoneLast4("phone")).filter(_last4=digits)
