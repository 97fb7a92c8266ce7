"""Download links for the doctor-visit summary: only a hash of each token is kept, with its expiry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_summary_links_person", "summary_links", ["person"])


def downgrade() -> None:
    op.drop_index("ix_summary_links_person", table_name="summary_links")
    op.drop_table("summary_links")
