"""``python -m core rescore``, ``tiers export`` and ``features export`` as the nightly job and people run them:
real processes on a demo database made by ``python -m core demo``."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
AS_OF = "2026-06-30"
BOM = b"\xef\xbb\xbf"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # no DATABASE_URL from the caller's environment: every test says which database it means
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: ") and result.stderr.count("error: ") == 1, result.stderr
    for fragment in fragments:
        assert fragment in last


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made by the CLI once per module; tests work on copies (see ``demo``)."""
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite"
    made = run("demo", "--customers", "150", "--seed", "3", "--as-of", AS_OF, "--db", f"sqlite:///{path}")
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, for a test that writes to it."""
    copy = tmp_path / "demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        source = demo_file.with_name(demo_file.name + suffix)
        if source.exists():
            shutil.copy(source, copy.with_name(copy.name + suffix))
    return copy


def query(path: Path, sql: str, params: tuple = ()) -> pd.DataFrame:
    with sqlite3.connect(path) as conn:
        return pd.read_sql_query(sql, conn, params=params)


def owners(path: Path, as_of: str = AS_OF) -> list[int]:
    sql = "SELECT DISTINCT customer_id FROM purchases WHERE kind = 'new_car' AND at <= ? ORDER BY customer_id"
    return query(path, sql, (as_of,))["customer_id"].tolist()


CURRENT = """
    SELECT a.customer_id, s.population, a.tier, a.score, s.version AS scheme_version, a.rule, a.effective_from
    FROM tier_assignments a JOIN scoring_schemes s ON s.id = a.scheme_id
    WHERE a.effective_to IS NULL
    ORDER BY s.population, a.customer_id
"""


CLOSED = "SELECT COUNT(*) AS n FROM tier_assignments WHERE effective_to IS NOT NULL"
RESCORES = "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'scheme.rescore'"


def test_rescore_prints_counts_and_keeps_the_version(demo):
    schemes_before = query(
        demo, "SELECT id, population, version, name, status FROM scoring_schemes ORDER BY id"
    )
    before = query(demo, CURRENT)
    closed_before, rescores_before = query(demo, CLOSED)["n"][0], query(demo, RESCORES)["n"][0]
    result = run("rescore", "--db", f"sqlite:///{demo}", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    counts = before["population"].value_counts()
    live = schemes_before[schemes_before["status"] == "published"]
    names = dict(zip(live["population"], live["name"], strict=True))
    versions = dict(zip(live["population"], live["version"], strict=True))
    assert versions == {"owners": 2, "leads": 1}  # the demo's owners history has two versions
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, population in zip(lines, ("owners", "leads"), strict=True):
        pattern = (
            rf"{population}: {counts[population]:,} customers rescored with version {versions[population]} "
            rf"\({re.escape(names[population])}\) in \d+\.\d s"
        )
        assert re.fullmatch(pattern, line), line
    assert counts["owners"] == len(owners(demo))

    # the same versions, the same tiers (same data, same day) in new rows; the old rows closed, not deleted
    schemes_after = query(
        demo, "SELECT id, population, version, name, status FROM scoring_schemes ORDER BY id"
    )
    pdt.assert_frame_equal(schemes_after, schemes_before)
    after = query(demo, CURRENT)
    cols = ["customer_id", "population", "tier", "score", "scheme_version", "rule"]
    pdt.assert_frame_equal(after[cols], before[cols])
    assert (after["effective_from"] > before["effective_from"].max()).all()
    assert query(demo, CLOSED)["n"][0] == closed_before + len(before)
    assert query(demo, RESCORES)["n"][0] == rescores_before + 2


def test_rescore_one_population(demo):
    closed_sql = (
        "SELECT s.population, COUNT(*) AS n FROM tier_assignments a JOIN scoring_schemes s ON s.id = a.scheme_id "
        "WHERE a.effective_to IS NOT NULL GROUP BY s.population"
    )
    current = query(demo, CURRENT)["population"].value_counts()
    before = dict(query(demo, closed_sql).itertuples(index=False))
    result = run("rescore", "--population", "leads", "--db", f"sqlite:///{demo}", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["leads"]
    after = dict(query(demo, closed_sql).itertuples(index=False))
    # only the leads' assignments were closed; the owners' history is as the demo wrote it
    assert "leads" not in before and before["owners"] > 0
    assert after == {"owners": before["owners"], "leads": current["leads"]}


def test_tiers_export_writes_the_current_assignments(demo, tmp_path):
    assert run("rescore", "--db", f"sqlite:///{demo}", "--as-of", AS_OF).returncode == 0
    out = tmp_path / "x.csv"
    result = run("tiers", "export", "--out", str(out), "--db", f"sqlite:///{demo}")
    assert result.returncode == 0, result.stderr
    want = query(demo, CURRENT)
    assert result.stdout == f"{len(want):,} assignments written to {out}\n"
    assert out.read_bytes().startswith(BOM)
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert list(got.columns) == [
        "customer_id",
        "population",
        "tier",
        "score",
        "scheme_version",
        "rule",
        "effective_from",
    ]
    cols = ["customer_id", "population", "tier", "score", "scheme_version"]
    pdt.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    assert got["rule"].fillna("").tolist() == want["rule"].fillna("").tolist()
    assert (pd.to_datetime(got["effective_from"]) == pd.to_datetime(want["effective_from"])).all()
    assert got["rule"].notna().any()  # the trigger rules are there, not only the tiers
    assert not list(tmp_path.glob("*.part"))

    only_leads = tmp_path / "leads.csv"
    result = run(
        "tiers", "export", "--population", "leads", "--out", str(only_leads), "--db", f"sqlite:///{demo}"
    )
    assert result.returncode == 0, result.stderr
    leads = pd.read_csv(only_leads, encoding="utf-8-sig")
    assert leads["customer_id"].tolist() == want.loc[want["population"] == "leads", "customer_id"].tolist()
    assert set(leads["population"]) == {"leads"}


def test_features_export_has_one_row_per_owner(demo_file, tmp_path):
    out = tmp_path / "f.csv"
    result = run("features", "export", "--out", str(out), "--as-of", AS_OF, "--db", f"sqlite:///{demo_file}")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(BOM)
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert got.columns[0] == "customer_id"
    assert got["customer_id"].tolist() == owners(demo_file)
    assert result.stdout == f"{len(got):,} rows written to {out} (owners, as of {AS_OF})\n"
    # an earlier day has fewer owners, never more
    earlier = tmp_path / "early.csv"
    assert run("features", "export", "--out", str(earlier), "--as-of", "2025-06-30", "--db",
               f"sqlite:///{demo_file}").returncode == 0  # fmt: skip
    assert pd.read_csv(earlier, encoding="utf-8-sig")["customer_id"].tolist() == owners(
        demo_file, "2025-06-30"
    )


def test_rescore_without_a_published_scheme(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert run("db", "upgrade", "--db", url).returncode == 0
    result = run("rescore", "--db", url, "--as-of", AS_OF)
    assert_clean_error(result, "no published scheme for owners")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("command", "out"),
    [
        (("tiers", "export"), "missing/x.csv"),
        (("tiers", "export"), "."),  # a directory
        (("features", "export", "--as-of", AS_OF), "missing/x.csv"),
        (("features", "export", "--as-of", AS_OF), "."),
    ],
    ids=["tiers-missing-folder", "tiers-directory", "features-missing-folder", "features-directory"],
)
def test_unwritable_out_is_a_clean_error(demo_file, tmp_path, command, out):
    target = tmp_path / out
    result = run(*command, "--out", str(target), "--db", f"sqlite:///{demo_file}")
    assert_clean_error(result, "cannot write", str(target))
    assert result.stdout == ""
    # nothing left behind, not even a temporary file
    assert list(tmp_path.iterdir()) == []
    assert not target.with_name(target.name + ".part").exists()
