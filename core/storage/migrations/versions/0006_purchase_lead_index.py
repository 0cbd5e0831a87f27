"""an index on purchases.lead_id (the revenue of a list of leads read all purchases without it)

Revision ID: 0006_purchase_lead_index
Revises: 0005_import
Create Date: 2026-12-01 20:20:00
"""
from alembic import op


revision = '0006_purchase_lead_index'
down_revision = '0005_import'
branch_labels = None
depends_on = None


# measured on the 1M-customer demo (3.2M purchases): the customers behind a channel-ROI figure (500 leads with
# their revenue) took 0.16 s, a full scan of purchases; with the index a few milliseconds


def upgrade() -> None:
    op.create_index(op.f('ix_purchases_lead_id'), 'purchases', ['lead_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_purchases_lead_id'), table_name='purchases')
