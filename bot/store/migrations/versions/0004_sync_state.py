"""per-list sync state: how a list is read, and when it was last read in full

`list_state.mode`: NULL = the server honours `modified_since`; `tail` = it does not (more!
rubin sets `modified` to today on every object, ALLRIS 4 to 2000-01-01), so an incremental poll
reads the list from `links.last` backwards until a page holds only known ids.
`list_state.full_sync_at`: the last time the whole list was read (tail lists are read in full
once a day, to pick up edits and deletions of old objects).

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_state") as batch:
        batch.add_column(sa.Column("mode", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("full_sync_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("list_state") as batch:
        batch.drop_column("full_sync_at")
        batch.drop_column("mode")
