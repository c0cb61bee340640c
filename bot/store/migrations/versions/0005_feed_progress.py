"""feed progress, quarantine and meeting aliases (issue 10)

- `list_state`: resume point of an unfinished read (`resume_url`, `resume_started_at`, written
  with the page data), the last page reached (`tail_url`), `last_complete_at`, `last_error`,
  and the `kind` of the list (paper, meeting, organization).
- `meetings.content_hash`: meetings are compared by content, not by `modified`.
- `feed_quarantine`: objects/pages that could not be decoded, parsed or stored, with reason
  and retry time.
- `meeting_aliases`: consultation meeting ids that answer 404, mapped to the meeting found.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_state") as batch:
        batch.add_column(sa.Column("resume_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("resume_started_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("tail_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_complete_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "feed_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "key", name="uq_feed_quarantine"),
    )
    op.create_index("ix_feed_quarantine_source", "feed_quarantine", ["source"])
    op.create_index("ix_feed_quarantine_next_retry_at", "feed_quarantine", ["next_retry_at"])
    op.create_table(
        "meeting_aliases",
        sa.Column("alias_id", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("meeting_id", sa.String(length=1000), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("alias_id"),
    )


def downgrade() -> None:
    op.drop_table("meeting_aliases")
    op.drop_index("ix_feed_quarantine_next_retry_at", table_name="feed_quarantine")
    op.drop_index("ix_feed_quarantine_source", table_name="feed_quarantine")
    op.drop_table("feed_quarantine")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("content_hash")
    with op.batch_alter_table("list_state") as batch:
        for column in (
            "kind",
            "last_error_at",
            "last_error",
            "last_complete_at",
            "tail_url",
            "resume_started_at",
            "resume_url",
        ):
            batch.drop_column(column)
