"""The full-text indexes over the derived token columns (docs/adr/0002-knowledge-search.md).

SQLite: an FTS5 external-content table (unicode61) over the four token columns; the actions
keep it in step (`search.reindex`). PostgreSQL: a GIN index on the weighted `simple`
tsvector of the same columns (no sync needed). Each statement runs on its own database only.
"""

from typing import Any

from django.db import migrations



# The same expression as `search.PG_VECTOR` (a test checks they match): the planner uses the
# index only for queries that repeat it exactly.
PG_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_codes), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, search_tags), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, search_body), 'D')"
)


class VendorSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor."""

    def __init__(self, vendor: str, sql: str, reverse_sql: str) -> None:
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self) -> Any:
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, kwargs.pop("sql"), kwargs.pop("reverse_sql")], {}

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles")]

    operations = [
        VendorSQL(
            "sqlite",
            [
                "CREATE VIRTUAL TABLE knowledge_article_fts USING fts5("
                "search_title, search_body, search_tags, search_codes, "
                "content='knowledge_article', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')",
                "INSERT INTO knowledge_article_fts(knowledge_article_fts) VALUES('rebuild')",
            ],
            ["DROP TABLE knowledge_article_fts"],
        ),
        VendorSQL(
            "postgresql",
            [f"CREATE INDEX knowledge_article_search_gin ON knowledge_article USING GIN (({PG_VECTOR}))"],
            ["DROP INDEX knowledge_article_search_gin"],
        ),
    ]
