"""document quarantine: why a document could not be fetched or read, and when to retry

`documents.problem`: "refused" (the URL points outside the council, see `document_hosts`),
"download" (it could not be fetched within the caps) or "read" (it could not be read within the
sandbox's limits); NULL when the document was read.
`documents.next_attempt_at`: when to try that version again (backoff 1 h, 6 h, 24 h); NULL when
no further attempt is scheduled.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("problem", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("problem")
