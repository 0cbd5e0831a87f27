"""Customers' names and phones are encrypted at rest (core.storage.pii_crypto): a copy of the database shows none of
them, they are still found by phone, by its last four digits and by name, every reader sees them opened
(or masked for a role without personal data), migration 0008 encrypts a plain database in place all or
nothing, rotation keeps every row readable, and a missing or wrong key is said in words."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from core.access import data_keys
from core.access.auth import role_show_pii
from core.access.privacy import mask_name, mask_phone
from core.cli import main as cli
from core.demo.generator import generate
from core.io import importing as imp
from core.storage import pii_crypto
from core.storage.db import (
    _alembic_config,
    head_revision,
    make_engine,
    open_database,
    schema_revision,
    upgrade,
)
from core.storage.models import Advisor, Customer
from core.storage.pii_crypto import ENV_VAR, DataKeyError, new_key_text
from core.workflow import customer360, review

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 12)
IMPORTED = """客户编号,姓名,手机号,性别,区域,门店,客户类型,创建时间
K1,欧阳娜娜,+86 138-0000-2468,女,惠城区,惠城店,个人,2024/3/5
K2,惠州鑫达实业有限公司,13912340001,,博罗县,博罗店,企业,2024-03-06
K3,司马光明,15800001357,男,惠城区,惠城店,个人,2024-03-07
"""
IMPORTED_PLAIN = [
    ("欧阳娜娜", "13800002468"),
    ("惠州鑫达实业有限公司", "13912340001"),
    ("司马光明", "15800001357"),
]


@pytest.fixture(autouse=True)
def fresh_keyring():
    """Each test reads the keys as configured for it (monkeypatch restores the session's key after)."""
    pii_crypto.reset_keyring()
    yield
    pii_crypto.reset_keyring()


def use_keys(monkeypatch, *keys: str) -> None:
    monkeypatch.setenv(ENV_VAR, ",".join(keys))
    pii_crypto.reset_keyring()


def file_bytes(url: str) -> bytes:
    """The SQLite file and its write-ahead log, as a copy of them would hold."""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def plain_customers(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.select(Customer.name, Customer.phone).order_by(Customer.id))
        ]


def raw_customers(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT name, phone FROM customers ORDER BY id"))]


def other_names(engine) -> set[str]:
    """Names stored in the clear on purpose (advisors, accounts): a customer may share one."""
    with engine.connect() as conn:
        names = set(conn.execute(sa.select(Advisor.name)).scalars())
        names |= set(conn.execute(sa.text("SELECT display_name FROM users")).scalars())
    return names


def assert_not_in_copy(data: bytes, people: list[tuple[str, str | None]], skip: set[str]) -> None:
    assert people
    for name, phone in people:
        if phone:
            assert phone.encode() not in data, phone
        if name not in skip and len(name) >= 3:  # two characters may be inside another, clear text
            assert name.encode("utf-8") not in data, name


def test_a_copy_of_a_demo_database_shows_no_phone_or_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=300, seed=3, as_of=AS_OF)
    people = plain_customers(engine)
    assert len(people) == 300 and all(p and p.isdigit() for _, p in people)
    assert_not_in_copy(file_bytes(url), people, other_names(engine))
    engine.dispose()


def test_a_copy_after_an_import_shows_no_phone_or_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'import.sqlite'}"
    engine = open_database(url)
    res = imp.import_bytes(engine, IMPORTED.encode(), "customers", now=NOW)
    assert res.committed and res.inserted == 3
    assert plain_customers(engine) == IMPORTED_PLAIN
    assert_not_in_copy(file_bytes(url), IMPORTED_PLAIN, set())
    assert b"2468" not in file_bytes(url)  # the last four are a keyed hash too
    engine.dispose()


def test_every_backend_stores_sealed_values_and_finds_them(engine):
    res = imp.import_bytes(engine, IMPORTED.encode(), "customers", now=NOW)
    assert res.committed
    raw = raw_customers(engine)
    for (name, phone), (raw_name, raw_phone) in zip(IMPORTED_PLAIN, raw, strict=True):
        assert name not in raw_name and phone not in raw_phone and phone[-4:] not in raw_phone
    assert plain_customers(engine) == IMPORTED_PLAIN
    with engine.connect() as conn:
        for query, matched in (
            ("13800002468", "phone"),
            ("+86 138 0000 2468", "phone"),
            ("2468", "phone_last4"),
            ("欧阳娜娜", "name"),
            ("娜娜", "name"),
        ):
            found, _ = customer360.search(conn=conn, query=query, show_pii=True)
            assert found[["name", "phone", "matched"]].values.tolist() == [
                ["欧阳娜娜", "13800002468", matched]
            ]
        found, _ = customer360.search(conn=conn, query="1357")
        assert found[["name", "phone"]].values.tolist() == [["司***", "158****1357"]]
    again = imp.import_bytes(
        engine, IMPORTED.encode(), "customers", now=NOW
    )  # found again by phone: no change
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_a_row_without_external_id_is_matched_by_phone(engine):
    imp.import_bytes(engine, IMPORTED.encode(), "customers", now=NOW)
    res = imp.import_bytes(engine, "姓名,手机号\n欧阳娜娜,138 0000 2468\n".encode(), "customers", now=NOW)
    assert (res.inserted, res.unchanged) == (0, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pii') / 'demo.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=300, seed=7, as_of=AS_OF)
    yield engine
    engine.dispose()


def test_360_and_review_show_names_to_roles_allowed_and_masked_to_others(demo):
    with demo.connect() as conn:
        rights = role_show_pii(conn=conn)
    assert rights["manager"] and not rights["analyst"]
    meeting = review.open_meeting(demo, population="owners", week=AS_OF, actor="manager", now=NOW)
    with demo.connect() as conn:
        agenda = review.items(conn=conn, meeting_id=meeting, show_pii=rights["manager"])
        masked = review.items(conn=conn, meeting_id=meeting, show_pii=rights["analyst"])
        assert len(agenda) > 0
        truth = dict(conn.execute(sa.select(Customer.id, Customer.name)).all())
        raw = dict(conn.execute(sa.text("SELECT id, name FROM customers")).all())
        assert agenda["customer_name"].tolist() == [truth[i] for i in agenda["customer_id"]]
        assert masked["customer_name"].tolist() == [mask_name(truth[i]) for i in agenda["customer_id"]]
        assert all(raw[i] != truth[i] for i in agenda["customer_id"])
        cid = int(agenda["customer_id"].iloc[0])
        phone = conn.execute(sa.select(Customer.phone).where(Customer.id == cid)).scalar_one()
        shown = customer360.profile(conn=conn, customer_id=cid, show_pii=True)
        hidden = customer360.profile(conn=conn, customer_id=cid, show_pii=False)
    assert (shown["name"], shown["phone"]) == (truth[cid], phone)
    assert (hidden["name"], hidden["phone"]) == (mask_name(truth[cid]), mask_phone(phone))
    assert not {"phone_hash", "phone_last4_hash", "name_hash"} & set(shown)


def at_0007_with_plain_customers(db_url: str, n: int = 7):
    engine = make_engine(db_url)
    command.upgrade(_alembic_config(engine), "0007_published_unique")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, kind, name, phone, is_owner, created_at) "
                "VALUES (:id, 'person', :name, :phone, :no, '2026-01-01 00:00:00')"
            ),
            [
                {"id": i, "name": f"测试客户{i}", "phone": None if i == 3 else f"1380000{i:04d}", "no": False}
                for i in range(1, n + 1)
            ],
        )
    return engine


def test_migration_encrypts_a_plain_database_in_place(db_url):
    engine = at_0007_with_plain_customers(db_url)
    before = raw_customers(engine)
    upgrade(engine)
    assert schema_revision(engine) == head_revision()
    assert plain_customers(engine) == before
    assert all(
        n != b[0] and (p is None) == (b[1] is None)
        for (n, p), b in zip(raw_customers(engine), before, strict=True)
    )
    with engine.connect() as conn:
        found, _ = customer360.search(conn=conn, query="13800000005", show_pii=True)
        assert found["name"].tolist() == ["测试客户5"]
        assert customer360.search(conn=conn, query="0007")[0]["customer_id"].tolist() == [7]
    engine.dispose()


def test_a_migration_that_fails_leaves_the_database_as_it_was(db_url, monkeypatch):
    engine = at_0007_with_plain_customers(db_url)
    before = raw_customers(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("customers")}
    monkeypatch.setattr(pii_crypto, "RESEAL_BATCH", 3)
    real, calls = pii_crypto._update_batch, []

    def fail_second(conn, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("injected failure while encrypting")
        real(conn, rows)

    monkeypatch.setattr(pii_crypto, "_update_batch", fail_second)
    with pytest.raises(RuntimeError, match="injected"):
        upgrade(engine)
    assert len(calls) == 2  # one batch was written before the failure
    engine.dispose()
    engine = make_engine(db_url)
    assert schema_revision(engine) == "0007_published_unique"
    assert raw_customers(engine) == before
    assert {c["name"] for c in sa.inspect(engine).get_columns("customers")} == columns
    monkeypatch.setattr(pii_crypto, "_update_batch", real)
    upgrade(engine)  # and the next attempt succeeds
    assert plain_customers(engine) == before
    engine.dispose()


def test_rotation_reencrypts_every_row_with_the_newest_key(tmp_path, monkeypatch, capsys):
    old, new = new_key_text(), new_key_text()
    use_keys(monkeypatch, old)
    url = f"sqlite:///{tmp_path / 'rotate.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=120, seed=5, as_of=AS_OF, with_tiers=False)
    people = plain_customers(engine)
    use_keys(monkeypatch, new, old)
    assert plain_customers(engine) == people  # before rotation the old rows read with the old key
    monkeypatch.setattr(pii_crypto, "RESEAL_BATCH", 50)
    assert cli.main(["--db", url, "keys", "rotate"]) == 0
    assert "120 customers re-encrypted" in capsys.readouterr().out
    use_keys(monkeypatch, new)  # the old key may go
    engine = open_database(url)
    assert plain_customers(engine) == people
    with engine.connect() as conn:
        assert pii_crypto.key_usage(conn, pii_crypto.keyring()) == {
            pii_crypto.keyring().newest.key_id.hex(): 120
        }
        found, _ = customer360.search(conn=conn, query=people[10][1], show_pii=True)
        assert found["name"].tolist() == [people[10][0]]
        assert conn.execute(sa.text("SELECT action FROM audit_log WHERE action = 'keys.rotate'")).scalar_one()
    engine.dispose()


def test_a_rotation_that_fails_changes_nothing(tmp_path, monkeypatch):
    old, new = new_key_text(), new_key_text()
    use_keys(monkeypatch, old)
    url = f"sqlite:///{tmp_path / 'rotate.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=120, seed=5, as_of=AS_OF, with_tiers=False)
    before = raw_customers(engine)
    use_keys(monkeypatch, new, old)
    monkeypatch.setattr(pii_crypto, "RESEAL_BATCH", 50)
    real = pii_crypto._update_batch
    calls = []

    def fail_last(conn, rows):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected failure while rotating")
        real(conn, rows)

    monkeypatch.setattr(pii_crypto, "_update_batch", fail_last)
    with pytest.raises(RuntimeError):
        data_keys.rotate(engine, actor="test")
    assert raw_customers(engine) == before
    engine.dispose()


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ((), "No data key is configured"),
        (("not-a-key",), "is not a data key"),
        ((new_key_text(),), "does not open this database"),
    ],
)
def test_a_missing_or_wrong_key_is_said_in_words(demo, monkeypatch, capsys, keys, says):
    url = demo.url.render_as_string()
    monkeypatch.setattr(pii_crypto, "LOCAL_KEY_PATH", Path("/nonexistent/.data-key"))
    monkeypatch.setattr(pii_crypto, "SECRETS_PATH", Path("/nonexistent/secrets.toml"))
    if keys:
        use_keys(monkeypatch, *keys)
    else:
        monkeypatch.delenv(ENV_VAR)
        pii_crypto.reset_keyring()
    with pytest.raises(DataKeyError, match=says):
        open_database(url)
    assert cli.main(["--db", url, "keys", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and "Traceback" not in err


def test_keys_come_from_the_environment_then_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('data_key = ["k2", "k1"]\n', encoding="utf-8")
    env = {ENV_VAR: "e2, e1"}
    assert pii_crypto.configured_keys(environ=env, secrets_path=secrets) == (["e2", "e1"], "env")
    assert pii_crypto.configured_keys(environ={}, secrets_path=secrets) == (["k2", "k1"], "secrets")
    frame = pd.DataFrame({"phone": ["13800002468", None]})
    hashed = pii_crypto.with_index_columns(Customer.__table__, frame)
    assert pd.isna(hashed["phone_hash"].iloc[1]) and len(hashed["phone_last4_hash"].iloc[0]) == 32


def test_a_demo_without_a_key_makes_a_local_key_file_and_says_so(tmp_path, monkeypatch, caplog):
    key_file = tmp_path / "data" / ".data-key"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setattr(pii_crypto, "LOCAL_KEY_PATH", key_file)
    monkeypatch.setattr(pii_crypto, "SECRETS_PATH", tmp_path / "secrets.toml")
    pii_crypto.reset_keyring()
    engine = open_database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    with caplog.at_level("WARNING", logger="core.storage.pii_crypto"):
        generate(engine, customers=50, seed=1, as_of=AS_OF, with_tiers=False)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert any(str(key_file) in r.getMessage() for r in caplog.records)
    assert pii_crypto.keyring().source == "file" and len(plain_customers(engine)) == 50
    engine.dispose()
    root = Path(__file__).resolve().parents[3]
    ignored = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", "data/.data-key"], check=False
    ).returncode
    assert ignored == 0  # the local key is never committed


def test_the_demo_on_every_backend_stores_no_phone_or_name(engine):
    generate(engine, customers=60, seed=2, as_of=AS_OF, with_tiers=False)
    people = plain_customers(engine)
    raw = " ".join(f"{n} {p}" for n, p in raw_customers(engine))
    assert len(people) == 60 and not any(p in raw or n in raw for n, p in people)
    with engine.connect() as conn:
        found, _ = customer360.search(conn=conn, query=people[7][1], show_pii=True)
    assert found["name"].tolist() == [people[7][0]]
