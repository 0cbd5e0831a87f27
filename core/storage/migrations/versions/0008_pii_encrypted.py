"""customers' names and phones encrypted at rest (AES-GCM), with keyed hashes to find them by phone, by the
phone's last four digits and by name; the existing rows are encrypted in place

Revision ID: 0008_pii_encrypted
Revises: 0007_published_unique
Create Date: 2026-12-06 05:00:00

All or nothing: on SQLite and PostgreSQL the schema change and the rewrite share one transaction. MariaDB
commits each ALTER at once, so there the rows are rewritten under a savepoint and, should that fail, rolled
back and the schema change undone before the error is raised: the database stays as it was, at 0007.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_pii_encrypted'
down_revision = '0007_published_unique'
branch_labels = None
depends_on = None

HASHES = ('phone_hash', 'phone_last4_hash', 'name_hash')


def _schema_up(conn) -> None:
    if conn.dialect.name == 'sqlite':
        _schema_up_sqlite()
        return
    for col in HASHES:
        op.add_column('customers', sa.Column(col, sa.String(length=32), nullable=True))
        op.create_index(f'ix_customers_{col}', 'customers', [col], unique=False)
    op.drop_index('ix_customers_phone', table_name='customers')  # an index on ciphertext finds nothing
    op.alter_column('customers', 'name', type_=sa.String(length=1024), existing_type=sa.String(length=128),
                    existing_nullable=False)
    op.alter_column('customers', 'phone', type_=sa.String(length=256), existing_type=sa.String(length=32),
                    existing_nullable=True)


def _schema_up_sqlite() -> None:
    for col in HASHES:
        op.add_column('customers', sa.Column(col, sa.String(length=32), nullable=True))
        op.create_index(f'ix_customers_{col}', 'customers', [col], unique=False)
    op.drop_index('ix_customers_phone', table_name='customers')
    # SQLite does not enforce a VARCHAR's length, and changes a declared type otherwise only by copying the
    # table, which the other tables' foreign keys to it forbid inside a transaction. The declaration (what
    # the schema says, not how rows are stored: the affinity stays TEXT) is rewritten in the schema table
    # instead, as SQLite's documentation describes for changes that leave the stored data as it is
    # (https://sqlite.org/lang_altertable.html#otheralter); in this transaction, so all or nothing.
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customers'")
    sql = sql.scalar_one()
    new = sql.replace('name VARCHAR(128) NOT NULL', 'name VARCHAR(1024) NOT NULL').replace(
        'phone VARCHAR(32)', 'phone VARCHAR(256)'
    )
    if new.count('VARCHAR(1024)') != 1 or new.count('VARCHAR(256)') != 1:
        raise RuntimeError('0008: the customers table is not declared as 0001 made it')
    version = conn.exec_driver_sql('PRAGMA schema_version').scalar_one()
    conn.exec_driver_sql('PRAGMA writable_schema = ON')
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'customers'", (new,)
        )
        conn.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    finally:
        conn.exec_driver_sql('PRAGMA writable_schema = OFF')


def _schema_down(conn) -> None:  # MariaDB only: its ALTERs were committed at once
    op.alter_column('customers', 'phone', type_=sa.String(length=32), existing_type=sa.String(length=256),
                    existing_nullable=True)
    op.alter_column('customers', 'name', type_=sa.String(length=128), existing_type=sa.String(length=1024),
                    existing_nullable=False)
    op.create_index('ix_customers_phone', 'customers', ['phone'], unique=False)
    for col in reversed(HASHES):
        op.drop_index(f'ix_customers_{col}', table_name='customers')
        op.drop_column('customers', col)


def _encrypt_rows(conn) -> None:
    from core.storage import pii_crypto
    from core.storage.settings import default_database_url

    if conn.execute(sa.text('SELECT 1 FROM customers LIMIT 1')).first() is None:
        return
    # the embedded demo database may get a local key file; any other database needs a configured key
    local = conn.engine.url.render_as_string() == default_database_url()
    ring = pii_crypto.keyring(create_local=local)
    n = pii_crypto.reseal_customers(conn, ring, stored_plain=True)
    print(f'pii_0008: the names and phones of {n} customers encrypted with key {ring.newest.key_id.hex()}')


def upgrade() -> None:
    conn = op.get_bind()
    _schema_up(conn)
    if conn.dialect.name != 'mysql':
        _encrypt_rows(conn)
        return
    try:
        with conn.begin_nested():
            _encrypt_rows(conn)
    except BaseException:
        _schema_down(conn)
        raise


def downgrade() -> None:
    # decrypting back to plain text is deliberately not offered: it would put the data at risk again
    raise NotImplementedError('0008 encrypts personal data; restore a backup to go back')
