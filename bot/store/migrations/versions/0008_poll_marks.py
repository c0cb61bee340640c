"""poll marks: whether the steps after a sync still owe a full pass (issue 15)

`poll_marks`: one row per named mark. `post_sync` is "pending" from the start of a poll's sync
until its search index refresh and answer matching have finished, "done" after. An idle poll
(nothing stored, nothing read) whose predecessor finished skips those full passes; a poll that
crashed in between leaves "pending", and the next one does them in full.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_marks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("poll_marks")
