"""full-text search index for `/anfrage suche` and the bare-number lookup

`search_documents` holds one row per (not deleted) paper: subject, questions and document text,
plus the reference split into Wahlperiode and running number. Full-text index per dialect:

- SQLite: an FTS5 external-content table `search_fts` kept in sync by triggers.
- PostgreSQL: a generated `tsvector` column (German stemming) with a GIN index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("paper_id", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("ref_term", sa.Integer(), nullable=True),
        sa.Column("ref_number", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", name="uq_search_documents_paper_id"),
    )
    op.create_index("ix_search_documents_date", "search_documents", ["date", "id"])
    op.create_index("ix_search_documents_ref", "search_documents", ["ref_term", "ref_number"])
    # `/anfrage offen` reads the outbox by channel and status.
    op.create_index(
        "ix_deliveries_kind_channel_status", "deliveries", ["kind", "channel", "status"]
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('german',"
            " coalesce(reference, '') || ' ' || coalesce(subject, '')), 'A')"
            " || setweight(to_tsvector('german', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(reference, subject, body,"
            " content='search_documents', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN"
            " INSERT INTO search_fts(rowid, reference, subject, body)"
            " VALUES (new.id, new.reference, new.subject, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN"
            " INSERT INTO search_fts(search_fts, rowid, reference, subject, body)"
            " VALUES ('delete', old.id, old.reference, old.subject, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE OF reference, subject, body"
            " ON search_documents BEGIN"
            " INSERT INTO search_fts(search_fts, rowid, reference, subject, body)"
            " VALUES ('delete', old.id, old.reference, old.subject, old.body);"
            " INSERT INTO search_fts(rowid, reference, subject, body)"
            " VALUES (new.id, new.reference, new.subject, new.body); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_deliveries_kind_channel_status", table_name="deliveries")
    op.drop_index("ix_search_documents_ref", table_name="search_documents")
    op.drop_index("ix_search_documents_date", table_name="search_documents")
    op.drop_table("search_documents")
