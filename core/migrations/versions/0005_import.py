"""external ids on leads, follow-ups, purchases and defeats (stable keys for re-importing the same file)

Revision ID: 0005_import
Revises: 0004_accounts
Create Date: 2026-12-01 17:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_import'
down_revision = '0004_accounts'
branch_labels = None
depends_on = None

TABLES = ('leads', 'follow_ups', 'purchases', 'defeats')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_external_id'), ['external_id'])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_external_id'), type_='unique')
            batch_op.drop_column('external_id')
