"""follows, calendar tokens and meeting versions (issue 14)

`follows`: one row per Slack user and followed Anfrage; `snapshot` holds what the store knew at
the moment of `/anfrage folgen`, so only later events become direct messages.
`calendar_tokens`: the unguessable token of each channel's (and committee's) calendar feed.
`meeting_versions`: the start/end we last saw per meeting and the iCalendar SEQUENCE, raised
whenever start or end change.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("paper_id", sa.String(length=1000), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_follow"),
    )
    op.create_index("ix_follows_paper_id", "follows", ["paper_id"])
    op.create_table(
        "calendar_tokens",
        sa.Column("token", sa.String(length=100), primary_key=True),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("committee", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("channel", "committee", name="uq_calendar_token"),
    )
    op.create_table(
        "meeting_versions",
        sa.Column("meeting_id", sa.String(length=1000), primary_key=True),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meeting_versions")
    op.drop_table("calendar_tokens")
    op.drop_index("ix_follows_paper_id", table_name="follows")
    op.drop_table("follows")
