"""The assistant's memory: consents, a twitch diary and the assessments given.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("person", sa.String(255), primary_key=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "diary_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("side", sa.String(8), nullable=True),
        sa.Column("lasted_minutes", sa.Float(), nullable=True),
        sa.Column("notes", sa.String(500), nullable=True),
    )
    op.create_index("ix_diary_entries_person", "diary_entries", ["person"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
    )
    op.create_index("ix_assessments_person", "assessments", ["person"])


def downgrade() -> None:
    op.drop_index("ix_assessments_person", table_name="assessments")
    op.drop_table("assessments")
    op.drop_index("ix_diary_entries_person", table_name="diary_entries")
    op.drop_table("diary_entries")
    op.drop_table("consents")
