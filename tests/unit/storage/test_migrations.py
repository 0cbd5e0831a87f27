"""Alembic migrations on every backend: they reach head, agree with the models, and are safe to rerun."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.storage.db import head_revision, make_engine, open_database, schema_revision, upgrade
from core.storage.models import Base, Customer, Region


@pytest.fixture
def empty_engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def model_tables() -> set[str]:
    return set(Base.metadata.tables)


def test_head_is_single_known_revision():
    assert head_revision() == "0008_pii_encrypted"


def test_upgrade_from_the_first_version_keeps_data_and_gains_precision(empty_engine):
    """A database made by version 0001 with tiers in it upgrades to head without losing a row, and scores
    are stored at double precision afterwards (0001's FLOAT is single precision on MariaDB)."""
    from alembic import command

    from core.storage.db import _alembic_config

    command.upgrade(_alembic_config(empty_engine), "0001")
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO regions (id, code, name, name_en) VALUES (1, 'hc', '惠城区', 'Huicheng')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, kind, name, is_owner, created_at) VALUES (1, 'person', '王小明', :yes, '2026-01-01 00:00:00')"
            ),
            {"yes": True},
        )
        conn.execute(
            sa.text(
                "INSERT INTO scoring_schemes (id, population, version, name, status, params, created_by, created_at) "
                "VALUES (1, 'owners', 1, 's', 'published', '{}', 'me', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO tier_assignments (id, customer_id, scheme_id, tier, score, effective_from) "
                "VALUES (1, 1, 1, 'A', 1.0, '2026-01-02 00:00:00')"
            )
        )
    assert upgrade(empty_engine) == ("0001", head_revision())
    with empty_engine.begin() as conn:
        # kept, and encrypted at rest since 0008 (the model opens it)
        assert conn.execute(sa.select(Customer.name)).scalar_one() == "王小明"
        assert conn.execute(sa.text("SELECT name FROM customers")).scalar_one() != "王小明"
        assert conn.execute(sa.text("SELECT tier FROM tier_assignments WHERE id = 1")).scalar_one() == "A"
        conn.execute(sa.text("UPDATE tier_assignments SET score = 33.333333333 WHERE id = 1"))
        assert conn.execute(
            sa.text("SELECT score FROM tier_assignments WHERE id = 1")
        ).scalar_one() == pytest.approx(33.333333333, abs=1e-9)


def test_upgrade_from_empty_reaches_head(empty_engine):
    assert schema_revision(empty_engine) is None
    assert upgrade(empty_engine) == (None, head_revision())
    assert schema_revision(empty_engine) == head_revision()
    assert set(sa.inspect(empty_engine).get_table_names()) == model_tables() | {"alembic_version"}


def test_migrated_schema_matches_models(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_twice_is_a_no_op_and_keeps_rows(empty_engine):
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(sa.insert(Region), {"code": "huicheng", "name": "惠城区", "name_en": "Huicheng"})
    assert upgrade(empty_engine) == (head_revision(), head_revision())
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(Region.code, Region.name, Region.name_en)).all()
        version_rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert [tuple(r) for r in rows] == [("huicheng", "惠城区", "Huicheng")]
    assert version_rows == [head_revision()]


def test_open_database_upgrades_an_empty_database(db_url):
    engine = open_database(db_url)
    try:
        assert schema_revision(engine) == head_revision()
        assert set(sa.inspect(engine).get_table_names()) == model_tables() | {"alembic_version"}
    finally:
        engine.dispose()
    # opening again finds the schema current and keeps it
    engine = open_database(db_url)
    try:
        assert schema_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_indexes_of_the_models_exist(empty_engine):
    upgrade(empty_engine)
    inspector = sa.inspect(empty_engine)
    for table in Base.metadata.sorted_tables:
        found = {ix["name"] for ix in inspector.get_indexes(table.name)}
        assert {ix.name for ix in table.indexes} <= found, table.name


def test_upgrade_resolves_several_published_versions_and_duplicate_overrides(empty_engine):
    """A 0006 database where two publishes ran at once (two published versions of one population) and a
    customer got two active overrides upgrades to head keeping the version published last and the newest
    override; afterwards the database refuses a second published version."""
    from alembic import command

    from core.storage.db import _alembic_config

    command.upgrade(_alembic_config(empty_engine), "0006_purchase_lead_index")
    ins = (
        "INSERT INTO scoring_schemes (id, population, version, name, status, params, created_by, created_at, "
    )
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, kind, name, is_owner, created_at) VALUES (1, 'person', '王小明', :yes, '2026-01-01 00:00:00')"
            ),
            {"yes": True},
        )
        for sid, pop, version, status, at in [
            (1, "owners", 1, "published", "2026-01-02 00:00:00"),
            (2, "owners", 2, "published", "2026-01-03 00:00:00"),
            (3, "owners", 3, "published", "2026-01-01 00:00:00"),
            (4, "leads", 1, "published", "2026-01-01 00:00:00"),
            (5, "leads", 2, "draft", None),
        ]:
            conn.execute(
                sa.text(
                    ins + "published_at) VALUES (:id, :pop, :v, 's', :st, '{}', 'me', '2026-01-01', :at)"
                ),
                {"id": sid, "pop": pop, "v": version, "st": status, "at": at},
            )
        for oid in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO tier_overrides (id, customer_id, population, tier, reason, created_by, created_at, "
                    "row_version) VALUES (:id, 1, 'owners', 'A', 'r', 'me', '2026-01-05 00:00:00', 1)"
                ),
                {"id": oid},
            )
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        got = conn.execute(sa.text("SELECT id, status FROM scoring_schemes ORDER BY id")).all()
        assert [tuple(r) for r in got] == [
            (1, "archived"), (2, "published"), (3, "archived"), (4, "published"), (5, "draft")
        ]  # fmt: skip
        got = conn.execute(sa.text("SELECT id, cleared_by FROM tier_overrides ORDER BY id")).all()
        assert [tuple(r) for r in got] == [(1, "migration"), (2, None)]
    with pytest.raises(sa.exc.IntegrityError):
        with empty_engine.begin() as conn:
            conn.execute(sa.text("UPDATE scoring_schemes SET status = 'published' WHERE id = 1"))
