"""``python -m core``: the commands work, and every failure is one readable line with exit code 2."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.storage.db import head_revision

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SECRET = "S3cr3t-pw"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # no DATABASE_URL from the caller's environment: every test says which database it means
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=PROJECT_ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def count_customers(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    # progress lines may come first; the error is the one last line
    assert result.stderr.endswith("\n") and result.stderr.splitlines()[-1].startswith("error: "), (
        result.stderr
    )
    assert result.stderr.count("error: ") == 1
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr.splitlines()[-1]


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout and "db" in result.stdout and "--db URL" in result.stdout
    db_help = run("db", "--help")
    assert db_help.returncode == 0
    assert "upgrade" in db_help.stdout and "status" in db_help.stdout


def test_demo_writes_then_refuses_a_second_run(tmp_path):
    path = tmp_path / "demo.sqlite"
    url = f"sqlite:///{path}"
    first = run("demo", "--customers", "120", "--seed", "3", "--as-of", "2026-06-30", "--db", url)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stdout.startswith(f"demo data written to {url} in ")
    assert "(seed 3, as of 2026-06-30)" in first.stdout
    assert "customers 120," in first.stdout
    assert count_customers(path) == 120

    second = run("demo", "--customers", "120", "--seed", "3", "--as-of", "2026-06-30", "--db", url)
    assert_clean_error(second, "already holds data", "empty database")
    assert second.stdout == ""
    assert count_customers(path) == 120

    # --if-empty: a database with customers is left alone, and that is not an error
    third = run("demo", "--customers", "50", "--if-empty", "--db", url)
    assert (third.returncode, third.stdout) == (
        0,
        f"{url} already holds 120 customers; no demo data written\n",
    )
    assert count_customers(path) == 120


def test_demo_if_empty_writes_into_an_empty_database(tmp_path):
    path = tmp_path / "fresh.sqlite"
    result = run(
        "demo", "--customers", "40", "--as-of", "2026-06-30", "--if-empty", "--db", f"sqlite:///{path}"
    )
    assert result.returncode == 0, result.stderr
    assert count_customers(path) == 40


def test_db_upgrade_and_status(tmp_path):
    url = f"sqlite:///{tmp_path / 'schema.sqlite'}"
    head = head_revision()
    before = run("db", "status", "--db", url)
    assert (before.returncode, before.stdout) == (
        0,
        f"schema of {url}: empty (newest {head}): needs `python -m core db upgrade`\n",
    )
    up = run("db", "upgrade", "--db", url)
    assert (up.returncode, up.stdout) == (0, f"schema of {url}: empty -> {head}\n")
    again = run("db", "upgrade", "--db", url)
    assert (again.returncode, again.stdout) == (0, f"schema of {url}: {head} -> {head}\n")
    after = run("db", "status", "--db", url)
    assert (after.returncode, after.stdout) == (0, f"schema of {url}: {head} (newest {head}): up to date\n")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--db", "nonsense://x", "db", "status"), ["The database URL is not valid", "Tried: nonsense://x."]),
        (("db", "upgrade", "--db", "not a url"), ["The database URL is not valid"]),
        (("demo", "--customers", "10", "--db", "nonsense://x"), ["The database URL is not valid"]),
        (
            ("db", "status", "--db", f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test"),
            ["Cannot connect to the database", "postgresql+psycopg://postgres:***@127.0.0.1:1/test"],
        ),
        (
            ("demo", "--customers", "10", "--db", f"mysql+pymysql://root:{SECRET}@127.0.0.1:1/test"),
            ["Cannot connect to the database", "mysql+pymysql://root:***@127.0.0.1:1/test"],
        ),
        (("db", "status", "--db", "sqlite:////etc/hostname/x.sqlite"), ["Cannot connect to the database"]),
        (("demo", "--customers", "0", "--db", "sqlite:///unused.sqlite"), ["--customers must be at least 1"]),
    ],
    ids=[
        "bad-url",
        "unparseable-url",
        "demo-bad-url",
        "unreachable-postgresql",
        "unreachable-mariadb",
        "sqlite-folder-is-a-file",
        "no-customers",
    ],
)
def test_errors_are_one_clean_line(args, fragments):
    assert_clean_error(run(*args), *fragments)
    assert not (PROJECT_ROOT / "unused.sqlite").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--db", "{url}", "db", "upgrade"),
        ("db", "upgrade", "--db", "{url}"),
        ("--db", "{url}", "demo", "--customers", "30", "--as-of", "2026-06-30"),
        ("demo", "--customers", "30", "--as-of", "2026-06-30", "--db", "{url}"),
        # given twice, the one after the command wins
        ("--db", "nonsense://x", "db", "upgrade", "--db", "{url}"),
    ],
    ids=["db-before", "db-after", "demo-db-before", "demo-db-after", "after-wins"],
)
def test_db_option_before_or_after_the_command(tmp_path, args):
    path = tmp_path / "where.sqlite"
    url = f"sqlite:///{path}"
    result = run(*(a.format(url=url) for a in args))
    assert result.returncode == 0, result.stderr
    assert f"{url}" in result.stdout
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)


def test_database_url_from_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    result = run("db", "upgrade", env={"DATABASE_URL": url})
    assert (result.returncode, result.stdout) == (0, f"schema of {url}: empty -> {head_revision()}\n")
    # --db still wins over the environment
    other = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    result = run("db", "status", "--db", other, env={"DATABASE_URL": url})
    assert result.stdout.startswith(f"schema of {other}: empty ")


def test_missing_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "required: COMMAND" in result.stderr
