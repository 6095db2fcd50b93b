"""The full-text indexes over the derived token columns (docs/adr/0002-knowledge-search.md).

SQLite: an FTS5 external-content table (unicode61) over the four token columns; the actions
keep it in step (`search.fts_sync`). PostgreSQL: two stored generated tsvector columns (the
weighted `simple` vector of all four columns, and of the title and codes alone) with a GIN
index each; PostgreSQL keeps them in step. Each statement runs on its own database only.
"""

from typing import Any

from django.db import migrations



# Stored, not an expression index: phrase and weight queries recheck every match, and ranking
# reads the vector, which an expression index would recompute per row.
PG_HEAD = (
    "setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_codes), 'B')"
)
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
            [
                "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector "
                f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
                "ALTER TABLE knowledge_article ADD COLUMN search_vector_head tsvector "
                f"GENERATED ALWAYS AS ({PG_HEAD}) STORED",
                "CREATE INDEX knowledge_article_vector_gin ON knowledge_article "
                "USING GIN (search_vector)",
                "CREATE INDEX knowledge_article_head_gin ON knowledge_article "
                "USING GIN (search_vector_head)",
            ],
            [
                "ALTER TABLE knowledge_article DROP COLUMN search_vector_head",
                "ALTER TABLE knowledge_article DROP COLUMN search_vector",
            ],
        ),
    ]
