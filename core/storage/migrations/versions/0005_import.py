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


# a nullable column plus a unique index, not a unique constraint: SQLite adds both in place, where a
# constraint needs the table rebuilt (measured: over 15 minutes on the 1M-customer demo database)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('external_id', sa.String(length=64), nullable=True))
        op.create_index(op.f(f'ix_{table}_external_id'), table, ['external_id'], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_external_id'), table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('external_id')
