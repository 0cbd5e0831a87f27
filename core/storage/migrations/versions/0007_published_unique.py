"""one published scheme version per population (a unique generated column), sign-in throttle table, and at
most one active override per customer in existing data

Revision ID: 0007_published_unique
Revises: 0006_purchase_lead_index
Create Date: 2026-12-06 01:30:00
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0007_published_unique'
down_revision = '0006_purchase_lead_index'
branch_labels = None
depends_on = None

PUBLISHED_POPULATION_SQL = "CASE WHEN status = 'published' THEN population END"


def _resolve_published(conn) -> None:
    """Existing databases may hold several published versions of one population (two publishes at once):
    keep the one published last (then the highest version) and archive the others, saying so."""
    rows = conn.execute(
        sa.text(
            "SELECT id, population, version, published_at FROM scoring_schemes WHERE status = 'published'"
        )
    ).all()
    keep: dict[str, tuple] = {}
    for r in rows:
        rank = (r.published_at or dt.datetime.min, r.version, r.id)
        if r.population not in keep or rank > keep[r.population]:
            keep[r.population] = rank
    extra = [r for r in rows if keep[r.population][2] != r.id]
    for r in extra:
        conn.execute(sa.text("UPDATE scoring_schemes SET status = 'archived' WHERE id = :id"), {"id": r.id})
    if extra:
        print(
            f"concurrency_0007: {len(extra)} extra published scheme version(s) archived "
            f"(ids {sorted(r.id for r in extra)}); the latest published of each population stays published"
        )


def _resolve_overrides(conn) -> None:
    """A customer with several uncleared overrides of one population keeps the newest; the others are
    cleared now by ``migration`` (they were never meant to be in force together)."""
    rows = conn.execute(
        sa.text(
            "SELECT id, customer_id, population FROM tier_overrides WHERE cleared_at IS NULL ORDER BY id"
        )
    ).all()
    newest: dict[tuple, int] = {}
    for r in rows:
        newest[(r.customer_id, r.population)] = max(r.id, newest.get((r.customer_id, r.population), 0))
    extra = [r.id for r in rows if newest[(r.customer_id, r.population)] != r.id]
    if extra:
        now = dt.datetime.now().replace(microsecond=0)
        for oid in extra:
            conn.execute(
                sa.text(
                    "UPDATE tier_overrides SET cleared_by = 'migration', cleared_at = :at, "
                    "row_version = row_version + 1 WHERE id = :id"
                ),
                {"at": now, "id": oid},
            )
        print(f"concurrency_0007: {len(extra)} duplicate uncleared override(s) cleared (ids {extra})")


def upgrade() -> None:
    conn = op.get_bind()
    _resolve_published(conn)
    _resolve_overrides(conn)
    if conn.dialect.name == "sqlite":
        # SQLite adds only a virtual generated column in place (a stored one means copying the table, which
        # the foreign keys of tier_assignments forbid inside a transaction); an index on it works the same
        conn.exec_driver_sql(
            "ALTER TABLE scoring_schemes ADD COLUMN published_population VARCHAR(16) "
            f"GENERATED ALWAYS AS ({PUBLISHED_POPULATION_SQL}) VIRTUAL"
        )
    else:
        op.add_column(
            'scoring_schemes',
            sa.Column('published_population', sa.String(length=16),
                      sa.Computed(PUBLISHED_POPULATION_SQL, persisted=True), nullable=True),
        )
    op.create_index('uq_scoring_schemes_published', 'scoring_schemes', ['published_population'], unique=True)
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.drop_index('uq_scoring_schemes_published', table_name='scoring_schemes')
    op.drop_column('scoring_schemes', 'published_population')
