"""weekly review: meetings, their items with decisions, defeat approval by whom and when

Revision ID: 0003_review
Revises: 0002
Create Date: 2026-12-01 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_review"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("baseline_at", sa.DateTime(), nullable=True),
        sa.Column("cutoff_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_meetings")),
        sa.UniqueConstraint("population", "week_start", name="uq_review_meetings_week"),
    )
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=True),
        sa.Column("old_tier", sa.String(length=32), nullable=True),
        sa.Column("new_tier", sa.String(length=32), nullable=False),
        sa.Column("old_score", sa.Double(), nullable=True),
        sa.Column("new_score", sa.Double(), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_tier", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.Column("discussed", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["advisors.id"], name=op.f("fk_review_items_advisor_id_advisors")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_review_items_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["review_meetings.id"], name=op.f("fk_review_items_meeting_id_review_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["override_id"], ["tier_overrides.id"], name=op.f("fk_review_items_override_id_tier_overrides")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint("meeting_id", "customer_id", name="uq_review_items_customer"),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_customer_id"), ["customer_id"], unique=False)
    with op.batch_alter_table("defeats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("approval_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("approval_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("approval_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("defeats", schema=None) as batch_op:
        batch_op.drop_column("approval_note")
        batch_op.drop_column("approval_at")
        batch_op.drop_column("approval_by")
        batch_op.drop_column("requested_by")
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_items_customer_id"))
    op.drop_table("review_items")
    op.drop_table("review_meetings")
