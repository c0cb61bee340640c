"""search index: a first build in bulk on SQLite (issue 15)

The FTS5 triggers of `search_documents` (0002) now stand still while the poll mark
`search_bulk` exists: a first build of the index inserts every row without them and then
rebuilds `search_fts` from its content table in one statement, about three times cheaper than
one trigger insert per row. bot/store/search.py sets the mark (committed) before such a build
and removes it in the transaction of the rebuild; a build interrupted in between leaves the
mark, and the next refresh finishes it the same way. PostgreSQL: nothing changes.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_IDLE = "NOT EXISTS (SELECT 1 FROM poll_marks WHERE name = 'search_bulk')"


def _triggers(when: str) -> list[str]:
    return [
        "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents"
        f"{when} BEGIN"
        " INSERT INTO search_fts(rowid, reference, subject, body)"
        " VALUES (new.id, new.reference, new.subject, new.body); END",
        "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents"
        f"{when} BEGIN"
        " INSERT INTO search_fts(search_fts, rowid, reference, subject, body)"
        " VALUES ('delete', old.id, old.reference, old.subject, old.body); END",
        "CREATE TRIGGER search_documents_au AFTER UPDATE OF reference, subject, body"
        f" ON search_documents{when} BEGIN"
        " INSERT INTO search_fts(search_fts, rowid, reference, subject, body)"
        " VALUES ('delete', old.id, old.reference, old.subject, old.body);"
        " INSERT INTO search_fts(rowid, reference, subject, body)"
        " VALUES (new.id, new.reference, new.subject, new.body); END",
    ]


def _replace(when: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in _triggers(when):
        op.execute(statement)


def upgrade() -> None:
    _replace(f" WHEN {_IDLE}")


def downgrade() -> None:
    _replace("")
