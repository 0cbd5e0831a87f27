"""``python -m core import``: imports, previews, reports, and every failure one line with exit code 2."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd

from tests.unit.cli.test_cli import assert_clean_error, run

GOOD = "客户编号,姓名,手机号\nC1,王小明,138-1234-5678\nC2,李娜,13912345678\n"
BAD = GOOD + "C3,张伟,电话未知\n"


def count(path, table: str = "customers") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_import_then_again_changes_nothing(tmp_path):
    src = tmp_path / "c.csv"
    src.write_bytes(GOOD.encode("gbk"))
    db = tmp_path / "d.sqlite"
    first = run("import", "--kind", "customers", str(src), "--db", f"sqlite:///{db}")
    assert first.returncode == 0, first.stderr
    assert "imported: customers: 2 rows, 2 valid; 2 added, 0 updated, 0 unchanged" in first.stdout
    second = run("import", "--kind", "customers", str(src), "--db", f"sqlite:///{db}")
    assert "0 added, 0 updated, 2 unchanged" in second.stdout
    assert count(db) == 2


def test_rows_with_problems_import_nothing_unless_valid_only(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text(BAD, encoding="utf-8")
    db = tmp_path / "d.sqlite"
    report = tmp_path / "report.csv"
    res = run("import", "--kind", "customers", str(src), "--report", str(report), "--db", f"sqlite:///{db}")
    assert_clean_error(res, "1 of 3 rows have problems", "nothing was imported", "--valid-only")
    assert "row 4, 手机号 '电话未知': not a phone number." in res.stdout
    assert count(db) == 0
    frame = pd.read_csv(report, encoding="utf-8-sig")
    assert frame.iloc[0].tolist()[:4] == [4, "手机号", "电话未知", "not a phone number"]
    res = run("import", "--kind", "customers", str(src), "--valid-only", "--db", f"sqlite:///{db}")
    assert res.returncode == 0 and "2 added" in res.stdout
    assert count(db) == 2


def test_dry_run_writes_nothing(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text(GOOD, encoding="utf-8")
    db = tmp_path / "d.sqlite"
    res = run("import", "--kind", "customers", str(src), "--dry-run", "--db", f"sqlite:///{db}")
    assert res.returncode == 0 and res.stdout.startswith("dry run, nothing written: customers: 2 rows")
    assert count(db) == 0


def test_mapping_file_and_no_create(tmp_path):
    src = tmp_path / "spend.csv"
    src.write_text('Month,Source,Branch,Cost\n2024-03,Autohome,HC01,"12,000"\n', encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "kind": "spend",
                "columns": {"month": "Month", "channel": "Source", "store": "Branch", "amount": "Cost"},
            }
        )
    )
    db = tmp_path / "d.sqlite"
    res = run(
        "import",
        "--kind",
        "spend",
        str(src),
        "--mapping",
        str(mapping),
        "--no-create",
        "--db",
        f"sqlite:///{db}",
    )
    assert_clean_error(res, "1 of 1 rows have problems")
    assert "not known in the database" in res.stdout
    res = run("import", "--kind", "spend", str(src), "--mapping", str(mapping), "--db", f"sqlite:///{db}")
    assert res.returncode == 0, res.stderr
    assert "new channels: Autohome" in res.stdout and "new stores: HC01" in res.stdout
    assert count(db, "channel_spend") == 1


def test_failures_are_one_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    assert_clean_error(
        run("import", "--kind", "customers", str(tmp_path / "missing.csv"), "--db", db), "cannot read"
    )
    src = tmp_path / "c.csv"
    src.write_text(GOOD, encoding="utf-8")
    bad_json = tmp_path / "m.json"
    bad_json.write_text("{not json")
    assert_clean_error(
        run("import", "--kind", "customers", str(src), "--mapping", str(bad_json), "--db", db),
        "not valid JSON",
    )
    other = tmp_path / "o.json"
    other.write_text(json.dumps({"kind": "leads", "columns": {}}))
    assert_clean_error(
        run("import", "--kind", "customers", str(src), "--mapping", str(other), "--db", db), "is for 'leads'"
    )
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02")
    assert_clean_error(run("import", "--kind", "customers", str(binary), "--db", db), "cannot be imported")
    headers = tmp_path / "h.csv"
    headers.write_text("姓名\n王小明\n", encoding="utf-8")
    assert_clean_error(run("import", "--kind", "customers", str(headers), "--db", db), "Map at least one of")


def test_problems_name_the_flag_or_mapping_key_that_fixes_them(tmp_path):
    """Not the page's wording ("under column mapping"), and no "row whole file, None None"."""
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    src = tmp_path / "c.csv"
    src.write_text("名字,号码\n王小明,13812345678\n", encoding="utf-8")
    res = run("import", "--kind", "customers", str(src), "--db", db)
    assert_clean_error(res, "Map at least one of", '"columns"', "--mapping")
    assert "column mapping" not in res.stderr + res.stdout and "None" not in res.stderr + res.stdout
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"kind": "customers", "columns": {"phone": "号码"}, "date_order": "YMD"}))
    assert_clean_error(
        run("import", "--kind", "customers", str(src), "--mapping", str(bad), "--db", db),
        "date_order must be DMY or MDY",
        'Write "date_order": "DMY" or "MDY" in the --mapping file',
    )
    spend = tmp_path / "s.csv"
    spend.write_text("月份,渠道,门店,投放费用\n2024-03,抖音,惠城店,100\n", encoding="utf-8")
    res = run("import", "--kind", "spend", str(spend), "--no-create", "--db", db)
    assert res.returncode == 2 and "leave out --no-create" in res.stdout
    dates = tmp_path / "p.csv"
    dates.write_text(
        "客户编号,门店,消费日期,金额\nC1,惠城店,2,100\nC1,惠城店,9999-12-31,100\n", encoding="utf-8"
    )
    res = run("import", "--kind", "purchases", str(dates), "--db", db)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "row 2, 消费日期 '2': not a date." in res.stdout and '"excel_serials"' in res.stdout
    assert "row 3, 消费日期 '9999-12-31': not a date." in res.stdout


def test_a_cut_off_line_and_an_unknown_separator_say_so(tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    cut = tmp_path / "cut.csv"
    cut.write_text("客户编号,姓名,手机号\nC1,王小明,13812345678\nC2,李娜", encoding="utf-8")
    res = run("import", "--kind", "customers", str(cut), "--db", db)
    assert_clean_error(res, "1 of 2 rows have problems")
    assert "row 3: this line has 2 fields where the header has 3" in res.stdout
    colon = tmp_path / "colon.csv"
    colon.write_text("客户编号:手机号\nC1:13812345678\n", encoding="utf-8")
    res = run("import", "--kind", "customers", str(colon), "--db", db)
    assert_clean_error(res, "read as one column", "separator", "comma-separated")
    spaced = tmp_path / "cdnow.txt"
    spaced.write_text("客户编号   手机号\nC1   13812345678\nC2 13912345678\n", encoding="utf-8")
    res = run("import", "--kind", "customers", str(spaced), "--db", db)
    assert res.returncode == 0 and "2 added" in res.stdout
    assert count(tmp_path / "d.sqlite") == 2
