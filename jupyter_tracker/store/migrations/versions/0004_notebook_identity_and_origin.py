"""notebooks keep an id through renames; checkpoints record origin and hidden-state warnings;
runs record the cell that started them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

Every change is made in place (ADD COLUMN, CREATE INDEX): no table rebuild on SQLite, see 0002.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notebooks", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=36), nullable=True))
        batch_op.create_index("uq_notebooks_project_uid", ["project_id", "uid"], unique=True)
    with op.batch_alter_table("checkpoints", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="upload", nullable=False)
        )
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))
    with op.batch_alter_table("runs", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("notebook_cell_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("notebook_execution_count", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_checkpoint_id"), ["checkpoint_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_checkpoint_id"))
    op.drop_column("runs", "notebook_execution_count")
    op.drop_column("runs", "notebook_cell_id")
    op.drop_column("checkpoints", "warnings")
    op.drop_column("checkpoints", "origin")
    with op.batch_alter_table("notebooks", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("uq_notebooks_project_uid")
    op.drop_column("notebooks", "uid")
