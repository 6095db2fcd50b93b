"""Full-text search over the derived token columns, on SQLite and PostgreSQL
(docs/adr/0002-knowledge-search.md).

1. The query is parsed by the one tokenizer (`tokens.parse_query`), with the company's synonyms.
2. The database finds candidates: SQLite through the FTS5 table `knowledge_article_fts`
   (unicode61 over the space-separated tokens, bm25 with column weights), PostgreSQL through
   the GIN index on `PG_VECTOR` (`simple` configuration, phrase operators, ts_rank_cd); both
   keep the best `CANDIDATES`. A query with a lone Han character (not in the bigram index)
   scans instead: the newest `SCAN_ROWS` rows at most.
3. `ranking.rank` orders the candidates the same way on both databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from aftersales.knowledge.ranking import Doc, rank
from aftersales.knowledge.tokens import Clause, Query, codes_text, index_text

# PostgreSQL: stored generated tsvector columns with GIN indexes (migration 0002): all four
# columns weighted (title A, codes B, tags C, body D), and the title and codes alone.
PG_VECTOR = "search_vector"
PG_HEAD = "search_vector_head"
FTS_TABLE = "knowledge_article_fts"
# bm25 weights in the FTS5 table's column order: title, body, tags, codes.
FTS_WEIGHTS = (4.0, 1.0, 2.0, 3.0)
CANDIDATES = 200
SCAN_ROWS = 20_000
COLUMNS = ("search_title", "search_body", "search_tags", "search_codes")


def derived_columns(*, title: str, body: str, tags: str, codes: Iterable[str]) -> dict[str, str]:
    """The derived token columns of an article's content."""
    return {
        "search_title": index_text(title),
        "search_body": index_text(body),
        "search_tags": index_text(tags),
        "search_codes": codes_text(codes),
    }


# --- keeping the SQLite index in step --------------------------------------------------------


def fts_sync(article_id: int, old: dict[str, str] | None, new: dict[str, str]) -> None:
    """Replace one article's entry in the FTS5 external-content table (SQLite only).

    `old` must be what the index holds now (the columns as stored before the change; None for
    a new article): an external-content table removes an entry by its old tokens."""
    if connection.vendor != "sqlite":
        return
    cols = ", ".join(COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    with connection.cursor() as cur:
        if old is not None:
            cur.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', %s, {marks})",  # noqa: S608
                [article_id, *(old[c] for c in COLUMNS)],
            )
        cur.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (%s, {marks})",  # noqa: S608
            [article_id, *(new[c] for c in COLUMNS)],
        )


def fts_rebuild() -> None:
    """Rebuild the SQLite index from the table (after a bulk load; `manage.py` shell)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608


# --- query expressions -----------------------------------------------------------------------


def fts5_expression(query: Query, *, require_all: bool = True) -> str:
    """The FTS5 MATCH expression: each clause any of its phrases (a fault code also as a
    prefix of the codes column); clauses joined by AND (or OR)."""
    parts = []
    for clause in query.clauses:
        alts = ['"' + " ".join(p) + '"' for p in clause.phrases]
        if clause.code:
            alts.append(f'search_codes : "{clause.code}" *')
        parts.append("(" + " OR ".join(alts) + ")")
    return (" AND " if require_all else " OR ").join(parts)


def tsquery_expression(query: Query, *, require_all: bool = True) -> str:
    """The PostgreSQL tsquery (`simple`): phrases with <->, a fault code also as a prefix of
    the codes (weight B); clauses joined by & (or |)."""
    parts = []
    for clause in query.clauses:
        alts = [" <-> ".join(f"'{t}'" for t in p) for p in clause.phrases]
        if clause.code:
            alts.append(f"'{clause.code}':*B")
        parts.append("(" + " | ".join(alts) + ")")
    return (" & " if require_all else " | ").join(parts)


# --- candidates ------------------------------------------------------------------------------


def _correlated(qs: QuerySet[Any], outer_id: str) -> tuple[str, tuple[Any, ...]]:
    """`EXISTS (the scoped queryset's row with id = outer_id)` as SQL and parameters."""
    inner = qs.order_by().filter(pk=RawSQL(outer_id, ())).values("id")  # noqa: S611 - a constant
    sql, params = inner.query.sql_with_params()
    return f"EXISTS ({sql})", tuple(params)


def _top(query: Query, require_all: bool, limit: int, within: QuerySet[Any] | None) -> list[int]:
    """The best `limit` ids by the database's own rank (bm25 / ts_rank_cd), within the scoped
    queryset `within` (checked row by row for each match) or over the whole index.

    Title and code matches are ranked first: when they alone fill the list (a common word in
    a large collection), the database need not score and sort every body match."""
    if connection.vendor == "sqlite":
        expression = fts5_expression(query, require_all=require_all)
        ids = _fts5_top(f"{{search_title search_codes}} : ({expression})", limit, within)
        return ids if len(ids) >= limit else _fts5_top(expression, limit, within)
    tsq = tsquery_expression(query, require_all=require_all)
    # Title and code matches newest first (ts_rank_cd over thousands of title matches of a
    # common word costs 150-250 ms at 100,000 articles; the Python ranking orders them anyway).
    ids = _pg_top(PG_HEAD, tsq, limit, within, ranked=False)
    return ids if len(ids) >= limit else _pg_top(PG_VECTOR, tsq, limit, within, ranked=True)


def _pg_top(
    column: str, tsq: str, limit: int, within: QuerySet[Any] | None, *, ranked: bool
) -> list[int]:
    scope, params = _correlated(within, "ka.id") if within is not None else ("TRUE", ())
    order = (
        f"ts_rank_cd(ka.{column}, to_tsquery('simple', %s)) DESC, ka.id" if ranked else "ka.id DESC"
    )
    sql = "".join(
        [
            f"SELECT ka.id FROM knowledge_article ka WHERE ka.{column} ",  # noqa: S608
            "@@ to_tsquery('simple', %s) ",
            f"AND {scope} ",
            f"ORDER BY {order} LIMIT %s",
        ]
    )
    values = [tsq, *params, *([tsq] if ranked else []), limit]
    with connection.cursor() as cur:
        cur.execute(sql, values)
        return [row[0] for row in cur.fetchall()]


def _fts5_top(expression: str, limit: int, within: QuerySet[Any] | None) -> list[int]:
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    scope, params = _correlated(within, f"{FTS_TABLE}.rowid") if within is not None else ("1", ())
    # Identifiers are this module's constants; every value is a parameter.
    sql = "".join(
        [
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ",  # noqa: S608
            f"AND {scope} ",
            f"ORDER BY bm25({FTS_TABLE}, {weights}) LIMIT %s",
        ]
    )
    with connection.cursor() as cur:
        cur.execute(sql, [expression, *params, limit])
        return [row[0] for row in cur.fetchall()]


# When the unscoped top list was cut and fewer than this many of it are in scope, the search
# runs again within the scope (slower: every match is checked against the scope).
ENOUGH_IN_SCOPE = 50


def _clause_q(clause: Clause) -> Q:
    q = Q()
    for phrase in clause.phrases:
        text = " ".join(phrase)
        for col in COLUMNS:
            q |= Q(**{f"{col}__contains": text})
    if clause.code:
        q |= Q(search_codes__contains=clause.code)
    return q


def _scanned_ids(qs: QuerySet[Any], query: Query, require_all: bool, limit: int) -> list[int]:
    """The bounded scan for queries with a lone Han character: the newest SCAN_ROWS rows."""
    newest = qs.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return []
    combined = Q()
    for clause in query.clauses:
        combined = (combined & _clause_q(clause)) if require_all else (combined | _clause_q(clause))
    rows = qs.filter(combined, id__gt=newest - SCAN_ROWS).order_by("-id")
    return list(rows.values_list("id", flat=True)[:limit])


Row = tuple[Any, ...]


def _rows(qs: QuerySet[Any], ids: list[int]) -> list[Row]:
    """The token columns and feedback counts of those of `ids` that are in `qs`."""
    if not ids:
        return []
    return list(
        qs.order_by()
        .filter(pk__in=ids)
        .values_list("id", *COLUMNS, "helped_count", "not_helped_count")
    )


def _indexed_rows(qs: QuerySet[Any], query: Query, require_all: bool, limit: int) -> list[Row]:
    """Candidates from the index: the best `limit` over the whole index, kept when in scope;
    if the list was cut and too few of it are in scope (filters, other companies' articles,
    drafts), the best `limit` within the scope instead."""
    ids = _top(query, require_all, limit, None)
    rows = _rows(qs, ids)
    if len(ids) < limit or len(rows) >= min(limit, ENOUGH_IN_SCOPE):
        return rows
    return _rows(qs, _top(query, require_all, limit, qs))


def search_ids(
    qs: QuerySet[Any],
    query: Query,
    *,
    require_all: bool = True,
    limit: int = 20,
    candidates: int = CANDIDATES,
) -> list[tuple[int, float]]:
    """The best `limit` article ids (with scores) of `qs` (already scoped and filtered)."""
    if query.empty:
        return []
    if query.needs_scan:
        rows = _rows(qs, _scanned_ids(qs, query, require_all, candidates))
    else:
        rows = _indexed_rows(qs, query, require_all, candidates)
    docs = [Doc.from_columns(*row) for row in rows]
    return rank(docs, query, require_all=require_all)[:limit]
