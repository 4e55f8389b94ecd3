"""runs: client_key for idempotent creation, kernel_id of the Jupyter kernel

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00

Both columns are added in place (ALTER TABLE ... ADD COLUMN, CREATE INDEX) on every backend.
On SQLite a batch operation that needs a table rebuild (a new UNIQUE constraint, say) would drop
the old ``runs`` table, and with foreign keys on that cascade-deletes the rows of every table
that references runs; hence a unique index for (project_id, client_key).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("kernel_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_kernel_id"), ["kernel_id"], unique=False)
        batch_op.create_index(
            "uq_runs_project_client_key", ["project_id", "client_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("uq_runs_project_client_key")
        batch_op.drop_index(batch_op.f("ix_runs_kernel_id"))
    # ALTER TABLE ... DROP COLUMN: native since SQLite 3.35 (which the store's RETURNING needs
    # anyway), so no rebuild of runs here either.
    op.drop_column("runs", "kernel_id")
    op.drop_column("runs", "client_key")
