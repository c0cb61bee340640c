"""answer pairing: the answer document read question by question (issue 16 item 4)

`answer_pairings`: one row per answered Anfrage, the pairing of its questions with passages of
the answer document (`AnswerPairing.to_json_dict()`), for the file version it was read from.

Revision ID: 0010
Revises: 0009 (the head of main when merged; the lead re-chains)
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_pairings",
        sa.Column("anfrage_id", sa.String(length=1000), primary_key=True),
        sa.Column("file_id", sa.String(length=1000), nullable=False),
        sa.Column("version_key", sa.Text(), nullable=False),
        sa.Column("pairing", sa.JSON(), nullable=False),
        sa.Column("paired_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_pairings")
