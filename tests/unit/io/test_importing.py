"""Import of CRM/Excel files: parsing of values, reading of encodings, header suggestions, and whole imports on
every backend (merging duplicates, creating customers and references, idempotence, one transaction)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from core.io import importing as imp
from core.io.importing import values as pv
from core.io.importing.commit import write_plan
from core.io.importing.mapping import Mapping, suggest_mapping
from core.io.importing.reading import ReadError, read_table
from core.storage.models import Base
from core.storage.pii_crypto import keyring
from tests.pii import unseal_frame, unseal_rows

NOW = dt.datetime(2026, 6, 30, 12, 0)


# ---- values ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024/3/5", "2024-03-05 00:00:00"),
        ("2024.3.5", "2024-03-05 00:00:00"),
        ("2024年3月5日", "2024-03-05 00:00:00"),
        ("2024年03月05日 14:30", "2024-03-05 14:30:00"),
        ("2024-03-05T14:30:15", "2024-03-05 14:30:15"),
        ("20240305", "2024-03-05 00:00:00"),
        ("45356", "2024-03-05 00:00:00"),
        ("45356.5", "2024-03-05 12:00:00"),
        ("3/5/2024", "2024-03-05 00:00:00"),  # month first unless a first part says otherwise
        ("2024-02-30", None),
        ("2024-13-01", None),
        ("next week", None),
        ("1800-01-01", None),
    ],
)
def test_dates(text, expected):
    values, bad = pv.parse_dates(pd.Series([text]))
    got = None if pd.isna(values[0]) else str(values[0])
    assert got == expected
    assert bool(bad[0]) is (expected is None)


def test_day_first_dates_are_recognised_by_the_column():
    values, bad = pv.parse_dates(pd.Series(["5/3/2024", "25/12/2024"]))
    assert [str(v.date()) for v in values] == ["2024-03-05", "2024-12-25"]
    values, _ = pv.parse_dates(pd.Series(["5/3/2024"]), order="DMY")
    assert str(values[0].date()) == "2024-03-05"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("(0752) 233-4455", "07522334455"),
        ("8264678", "8264678"),
        ("1.3812345678E+10", None),
        ("12345", None),
        ("138123456789012345", None),
        ("电话", None),
    ],
)
def test_phones(text, expected):
    values, bad = pv.parse_phones(pd.Series([text]))
    assert values[0] == expected
    assert bool(bad[0]) is (expected is None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("128000", 128000.0),
        ("128,000", 128000.0),
        ("1,234,567.891", 1234567.89),
        ("12.8万", 128000.0),
        ("3万", 30000.0),
        ("¥ 3,000 元", 3000.0),
        ("$26,000", 26000.0),
        ("RMB 99.5", 99.5),
        ("-5", None),
        ("12..5", None),
        ("1e5", None),
        ("abc", None),
    ],
)
def test_amounts(text, expected):
    values, bad = pv.parse_amounts(pd.Series([text]))
    assert (None if pd.isna(values[0]) else values[0]) == expected
    assert bool(bad[0]) is (expected is None)


def test_null_tokens_and_the_mappings_own():
    cleaned = pv.clean_text(
        pd.Series(["", " ", "NULL", "N/A", "-", "Select", "x", " a\u3000 b "]), {"select"}
    )
    assert cleaned.isna().tolist() == [True] * 6 + [False, False]
    assert cleaned.dropna().tolist() == ["x", "a b"]


# ---- reading --------------------------------------------------------------------------------------------
HEADER = "客户编号,姓名,手机号\n"
BODY = "C1,王小明,13812345678\nC2,李娜,13912345678\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((HEADER + BODY).encode("utf-8"), "utf-8"),
        ((HEADER + BODY).encode("utf-8-sig"), "utf-8-sig"),
        ((HEADER + BODY).encode("gbk"), "gb18030"),
        ((HEADER + BODY).encode("gb18030"), "gb18030"),
        ((HEADER + BODY).encode("utf-16"), "utf-16"),
        ((HEADER + BODY).replace(",", ";").encode("utf-8"), "utf-8"),
        ((HEADER + BODY).replace(",", "\t").encode("utf-8"), "utf-8"),
        ((HEADER + BODY).replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (
            (HEADER.replace("\n", ",\n") + BODY.replace("\n", ",\n")).encode("utf-8"),
            "utf-8",
        ),  # trailing commas
    ],
)
def test_encodings_and_delimiters(data, encoding):
    table = read_table(data, "x.csv")
    assert table.encoding == encoding
    assert table.headers == ["客户编号", "姓名", "手机号"]
    assert table.frame["姓名"].tolist() == ["王小明", "李娜"]


def test_excel_is_read_with_its_dates_and_numbers(tmp_path):
    frame = pd.DataFrame(
        {"手机号": [13812345678, 13912345678], "日期": [dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 6, 9)]}
    )
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    table = read_table(buf.getvalue(), "x.xlsx")
    assert table.kind == "xlsx"
    assert table.frame["手机号"].tolist() == ["13812345678", "13912345678"]
    values, bad = pv.parse_dates(table.frame["日期"])
    assert not bad.any() and values[1] == pd.Timestamp("2024-03-06 09:00")


def test_header_with_trailing_space_is_trimmed():
    table = read_table(b"Dealer_No ,Phone\n1,8264678\n")
    assert table.headers == ["Dealer_No", "Phone"]


def _zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            # a fixed date: the bytes (and so the test's id) are the same in every process, as pytest-xdist's
            # workers must collect the same ids
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        ("姓名,手机号\n".encode(), "no_rows"),
        (b"a,a\n1,2\n", "duplicate_header"),
        (b"a,,b\n1,2,3\n", "blank_header"),
        (b"\x00\x01\x02PK garbage", "binary"),
        (b"PK\x03\x04not really a zip", "xlsx"),
        (_zip_of({"hello.txt": b"not a workbook"}), "xlsx"),
        ("名字\n".encode("gbk") + b"\x81\x30\xff\xfe\xfa\n", "encoding"),
    ],
)
def test_unreadable_files_say_why(data, code):
    with pytest.raises(ReadError) as info:
        read_table(data)
    assert info.value.code == code
    assert str(info.value)


@pytest.mark.parametrize(
    ("headers", "kind", "expected"),
    [
        (["手机号", "姓名"], "customers", {"name": "姓名", "phone": "手机号"}),
        (["电话"], "customers", {"phone": "电话"}),
        (["联系方式"], "customers", {"phone": "联系方式"}),
        (["Phone Number", "Full Name"], "customers", {"name": "Full Name", "phone": "Phone Number"}),
        (["客户手机号"], "customers", {"phone": "客户手机号"}),
        (
            ["渠道", "门店", "创建时间", "手机号"],
            "leads",
            {"customer_phone": "手机号", "store": "门店", "channel": "渠道", "created_at": "创建时间"},
        ),
        (
            ["月份", "渠道", "门店", "投放费用"],
            "spend",
            {"channel": "渠道", "store": "门店", "month": "月份", "amount": "投放费用"},
        ),
        (
            ["战败原因", "商机编号", "战败日期"],
            "defeats",
            {"lead_external_id": "商机编号", "at": "战败日期", "reason": "战败原因"},
        ),
    ],
)
def test_header_synonyms(headers, kind, expected):
    assert suggest_mapping(headers, kind) == expected


# ---- whole imports --------------------------------------------------------------------------------------
def csv(text: str) -> bytes:
    return text.encode("utf-8")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return unseal_rows(conn.execute(sa.text(sql)))


CUSTOMERS = """客户编号,姓名,手机号,性别,区域,门店,客户类型,创建时间
C1,王小明,+86 138-1234-5678,男,惠城区,惠城店,个人,2024/3/5
C2,惠州鑫达实业有限公司,13912345678,,博罗县,博罗店,企业,2024年3月6日
,王小明,138 1234 5678,男,惠城区,惠城店,,2024-03-07
C3,李娜,15000000000,女,惠城区,惠城店,个人,45356
"""


def test_customers_merge_duplicates_and_create_references(engine):
    res = imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    assert res.committed and res.error_rows == 0
    assert (res.inserted, res.merged, res.updated) == (3, 1, 0)
    assert res.references_created == {"regions": ["惠城区", "博罗县"], "stores": ["惠城店", "博罗店"]}
    got = rows(
        engine,
        "SELECT c.external_id, c.name, c.phone, c.gender, c.kind, r.name, s.name, c.created_at FROM customers c "
        "JOIN regions r ON r.id = c.region_id JOIN stores s ON s.id = c.store_id ORDER BY c.external_id",
    )
    assert [g[:7] for g in got] == [
        ("C1", "王小明", "13812345678", "M", "person", "惠城区", "惠城店"),
        ("C2", "惠州鑫达实业有限公司", "13912345678", None, "enterprise", "博罗县", "博罗店"),
        ("C3", "李娜", "15000000000", "F", "person", "惠城区", "惠城店"),
    ]
    assert [pd.Timestamp(g[7]).date() for g in got] == [
        dt.date(2024, 3, 5),
        dt.date(2024, 3, 6),
        dt.date(2024, 3, 5),
    ]
    # a new store takes the region of the first row that names it
    assert rows(
        engine, "SELECT s.name, r.name FROM stores s JOIN regions r ON r.id = s.region_id ORDER BY s.id"
    ) == [
        ("惠城店", "惠城区"),
        ("博罗店", "博罗县"),
    ]
    before = counts(engine)
    again = imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(engine) == before  # not even an audit-log row


def test_a_changed_export_updates_only_what_changed(engine):
    imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    changed = CUSTOMERS.replace("李娜,15000000000", "李娜娜,15000000000")
    res = imp.import_bytes(engine, csv(changed), "customers", now=NOW)
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 2)
    assert rows(engine, "SELECT name FROM customers WHERE external_id = 'C3'") == [("李娜娜",)]
    # a file without the phone column keeps the stored phones
    res = imp.import_bytes(engine, csv("客户编号,姓名\nC3,李娜\n"), "customers", now=NOW)
    assert res.updated == 1
    assert rows(engine, "SELECT name, phone FROM customers WHERE external_id = 'C3'") == [
        ("李娜", "15000000000")
    ]


LEADS = """商机编号,客户编号,手机号,姓名,门店,渠道,阶段,意向级别,创建时间,订车时间,战败时间,销售顾问
L1,C1,,,惠城店,汽车之家,订车,,2024-03-05 10:00,2024-03-20,,王顾问
L2,,17700000000,赵六,惠城店,抖音,线索,H,2024-03-06,2024-03-09,,王顾问
L3,C9,,新客户,博罗店,抖音,试驾,A,2024-03-06,,,
L4,,17700000000,,惠城店,懂车帝,战败,,2024-03-07,,2024-03-15,
"""


def test_leads_create_their_customers_and_are_consistent(engine):
    imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    res = imp.import_bytes(engine, csv(LEADS), "leads", now=NOW)
    assert res.error_rows == 1  # 战败 is a status, not a stage: the row says which stages exist
    assert "lead" in res.issues.loc[0, "params"]["allowed"]
    fixed = LEADS.replace(",战败,", ",,")
    res = imp.import_bytes(engine, csv(fixed), "leads", now=NOW)
    assert res.committed and (res.inserted, res.customers_created) == (4, 2)
    assert res.references_created == {"channels": ["汽车之家", "抖音", "懂车帝"], "advisors": ["王顾问"]}
    got = rows(
        engine,
        "SELECT l.external_id, c.external_id, c.phone, l.stage_reached, l.status, l.grade, l.order_at IS NOT NULL, "
        "l.defeated_at IS NOT NULL FROM leads l JOIN customers c ON c.id = l.customer_id ORDER BY l.external_id",
    )
    assert [(g[0], g[1], g[2], g[3], g[4], g[5], bool(g[6]), bool(g[7])) for g in got] == [
        ("L1", "C1", "13812345678", 6, "won", "O", True, False),
        (
            "L2",
            None,
            "17700000000",
            0,
            "open",
            "H",
            False,
            False,
        ),  # an order time beyond the stage is dropped
        ("L3", "C9", None, 4, "open", "A", False, False),
        ("L4", None, "17700000000", 0, "defeated", "C", False, True),
    ]
    # the customer made from L2 has the lead's date, store and channel
    assert rows(
        engine,
        "SELECT c.name, s.name, ch.name FROM customers c JOIN stores s ON s.id = c.store_id "
        "JOIN channels ch ON ch.id = c.first_channel_id WHERE c.phone_hash = '"
        + keyring().index("phone", ["17700000000"])[0]
        + "'",
    ) == [("赵六", "惠城店", "抖音")]
    again = imp.import_bytes(engine, csv(fixed), "leads", now=NOW)
    assert (again.inserted, again.updated, again.unchanged, again.customers_created) == (0, 0, 4, 0)


def test_follow_ups_purchases_defeats_and_spend(engine):
    imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    imp.import_bytes(engine, csv(LEADS.replace(",战败,", ",,")), "leads", now=NOW)
    fu = "商机编号,手机号,跟进时间,跟进方式,跟进结果,备注\nL1,13812345678,2024-03-06 09:00,电话,接通,问价\nL1,13812345678,2024-03-07,微信,未回复,\n"
    res = imp.import_bytes(engine, csv(fu), "followups", now=NOW)
    assert res.committed and res.inserted == 2
    assert rows(engine, "SELECT kind, outcome, responded FROM follow_ups ORDER BY at") == [
        ("call", "reached", True),
        ("wechat", "no_reply", False),
    ]
    pu = '单号,手机号,门店,消费类型,消费日期,金额,毛利\nP1,15000000000,惠城店,新车,2024-04-01,12.8万,6400\nP2,15000000000,惠城店,保养,2024/10/1,"1,280.50",-20\n'
    res = imp.import_bytes(engine, csv(pu), "purchases", now=NOW)
    assert res.committed and res.inserted == 2
    assert [
        (k, float(a), float(g))
        for k, a, g in rows(engine, "SELECT kind, amount, gross_profit FROM purchases ORDER BY at")
    ] == [
        ("new_car", 128000.0, 6400.0),
        ("maintenance", 1280.5, -20.0),
    ]
    assert rows(engine, "SELECT is_owner FROM customers WHERE external_id = 'C3'")[0][0] in (True, 1)
    # the last contact of L1 moved to the later follow-up; a follow-up naming only its lead is its customer's
    assert [
        pd.Timestamp(x) for (x,) in rows(engine, "SELECT last_contact_at FROM leads WHERE external_id = 'L1'")
    ] == [pd.Timestamp("2024-03-07")]
    res = imp.import_bytes(
        engine, csv("商机编号,跟进时间,跟进方式\nL3,2024-03-08 10:00,到店\n"), "followups", now=NOW
    )
    assert res.committed and (res.inserted, res.customers_created) == (1, 0)
    assert (
        rows(
            engine,
            "SELECT c.external_id, l.last_contact_at IS NOT NULL FROM follow_ups f JOIN customers c ON c.id = f.customer_id "
            "JOIN leads l ON l.id = f.lead_id WHERE f.kind = 'visit'",
        )[0][0]
        == "C9"
    )
    again = imp.import_bytes(engine, csv(fu), "followups", now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    de = "商机编号,战败日期,战败原因,细分原因,竞品品牌\nL3,2024-03-20,价格,经销商加价,长城\nL404,2024-03-20,价格,,\n"
    res = imp.import_bytes(engine, csv(de), "defeats", now=NOW)
    assert not res.committed and res.error_rows == 1
    assert res.issues["code"].tolist() == ["unknown_lead"]
    res = imp.import_bytes(engine, csv(de), "defeats", now=NOW, only_valid=True)
    assert res.committed and res.inserted == 1
    assert rows(
        engine,
        "SELECT d.reason, d.sub_reason, d.stage_lost, l.status FROM defeats d JOIN leads l ON l.id = d.lead_id",
    ) == [("price", "dealer_markup", 4, "defeated")]
    sp = '月份,渠道,门店,投放费用\n2024年3月,汽车之家,惠城店,"12,000"\n2024-04,抖音,惠城店,6万\n2024-03-15,汽车之家,惠城店,13000\n'
    res = imp.import_bytes(engine, csv(sp), "spend", now=NOW)
    assert res.committed and (res.inserted, res.merged) == (2, 1)  # one row per channel, store and month
    res = imp.import_bytes(engine, csv(sp.replace("6万", "7万")), "spend", now=NOW)
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 1)
    assert sorted(float(a) for (a,) in rows(engine, "SELECT amount FROM channel_spend")) == [12000.0, 70000.0]


def test_unknown_references_can_be_refused_with_the_known_names(engine):
    imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    before = counts(engine)
    res = imp.import_bytes(
        engine, csv("客户编号,门店\nC1,惠城店\nC2,惠城 店\n"), "customers", now=NOW, create_missing=False
    )
    assert not res.committed and res.error_rows == 1
    issue = res.issues.iloc[0]
    assert (issue["row"], issue["column"], issue["value"], issue["code"]) == (
        3,
        "门店",
        "惠城 店",
        "unknown_ref",
    )
    assert "惠城店" in imp.report_frame(res.issues, "zh").iloc[0, 4]
    assert counts(engine) == before


def test_report_lists_row_column_value_problem_and_fix(engine):
    data = csv(
        '客户编号,姓名,手机号,生日\nC1,王小明,13812345678,1990-01-01\nC2,=HYPERLINK("http://x"),abc,明天\n,无名,,\n'
    )
    res = imp.import_bytes(engine, data, "customers", now=NOW)
    assert not res.committed and (res.rows, res.valid_rows) == (3, 1)
    report = imp.report_frame(res.issues, "en")
    assert report.columns.tolist() == ["Row", "Column", "Value", "Problem", "How to fix"]
    assert report.iloc[:, :4].values.tolist() == [
        [3, "手机号", "abc", "not a phone number"],
        [3, "生日", "明天", "not a date"],
        [4, "客户编号 / 手机号", None, "neither a customer id nor a phone number"],
    ]
    assert all(report["How to fix"].str.len() > 5)
    assert counts(engine)["customers"] == 0
    # import only the valid rows: the formula-like name is stored as text, and neutralised in downloads
    res = imp.import_bytes(engine, csv('客户编号,姓名\nC2,=HYPERLINK("http://x")\n'), "customers", now=NOW)
    assert res.committed
    from core.io.exports import csv_bytes

    with engine.connect() as conn:
        frame = unseal_frame(pd.read_sql(sa.text("SELECT external_id, name FROM customers"), conn))
    text = csv_bytes(frame, show_pii=True).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    downloaded = imp.report_csv(
        pd.DataFrame(
            [{"row": 2, "column": "姓名", "value": "=1+1", "code": "too_long", "params": {"limit": 3}}]
        )
    ).decode("utf-8-sig")
    assert "'=1+1" in downloaded


def test_a_mapping_that_does_not_fit_rejects_the_file(engine):
    res = imp.import_bytes(engine, csv("姓名\n王小明\n"), "customers", now=NOW)
    assert not res.committed and res.file_rejected
    assert res.issues.loc[0, "code"] == "mapping.no_key"
    res = imp.import_bytes(
        engine,
        csv("手机号\n13812345678\n"),
        "leads",
        now=NOW,
        mapping=Mapping("leads", {"customer_phone": "手机号"}),
    )
    assert res.file_rejected and res.issues.loc[0, "code"] == "mapping.required"
    assert counts(engine)["leads"] == 0


def test_a_crash_while_writing_leaves_the_database_as_before(engine, monkeypatch):
    imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW)
    before = counts(engine)
    from core.io.importing import commit, stage

    calls = []
    real_insert, real_publish = commit.insert_frame, stage.publish_write

    def written(name: str) -> None:
        calls.append(name)
        if name == "leads":
            raise RuntimeError("disk full")

    def failing_insert(conn, name, frame):  # PostgreSQL and MariaDB write the planned frames
        written(name)
        return real_insert(conn, name, frame)

    def failing_publish(conn, write):  # SQLite publishes the staged rows
        if write.op == "insert":
            written(write.table)
        return real_publish(conn, write)

    monkeypatch.setattr(commit, "insert_frame", failing_insert)
    monkeypatch.setattr(stage, "publish_write", failing_publish)
    with pytest.raises(RuntimeError):
        imp.import_bytes(engine, csv(LEADS.replace(",战败,", ",,")), "leads", now=NOW)
    assert calls[:2] == ["channels", "advisors"] and "customers" in calls  # these were written, then undone
    assert counts(engine) == before


def test_write_plan_is_the_only_writer(engine):
    """A preview (dry run) plans the same writes and leaves the database alone."""
    res = imp.import_bytes(engine, csv(CUSTOMERS), "customers", now=NOW, dry_run=True)
    assert (res.inserted, res.merged, res.committed) == (3, 1, False)
    assert res.preview is not None and res.preview["row"].tolist() == [2, 3, 4, 5]
    assert counts(engine)["customers"] == 0
    assert callable(write_plan)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_big_files_read_the_same_with_either_csv_reader(monkeypatch, encoding):
    """Files over 4 MB go through pyarrow's reader; it must give exactly what the C reader gives."""
    from core.io.importing import reading

    line = '王小明,"138 1234 5678",惠城区,"有逗号, 和""引号""",2024/3/5,\n'
    data = ("姓名,手机号,区域,备注,日期,\n" + line * 70_000).encode(encoding)
    assert len(data) > reading.PYARROW_MIN_BYTES
    fast = read_table(data)
    monkeypatch.setattr(reading, "PYARROW_MIN_BYTES", 10**12)
    slow = read_table(data)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.frame.iloc[0].tolist() == [
        "王小明",
        "138 1234 5678",
        "惠城区",
        '有逗号, 和"引号"',
        "2024/3/5",
    ]


def test_excel_leads_with_real_dates_numbers_and_formulas(engine):
    """An .xlsx export: date cells, phone numbers stored as numbers, a name that is a formula's text."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["线索编号", "手机号", "客户姓名", "门店", "线索来源", "销售阶段", "意向级别", "留资时间", "试驾时间"]
    )
    sheet.append(
        [
            "X1",
            13812345678,
            "王小明",
            "惠城店",
            "汽车之家",
            "试驾",
            "H",
            dt.datetime(2024, 3, 5, 9, 30),
            dt.datetime(2024, 3, 9),
        ]
    )
    sheet.append(["X2", 13912345678, '\'=HYPERLINK("x")', "惠城店", "抖音", "线索", "b", 45356, None])
    buf = io.BytesIO()
    book.save(buf)
    res = imp.import_bytes(engine, buf.getvalue(), "leads", filename="leads.xlsx", now=NOW)
    assert res.committed and (res.inserted, res.customers_created) == (2, 2), imp.report_frame(
        res.issues, "en"
    )
    got = rows(
        engine,
        "SELECT l.external_id, c.phone, c.name, l.stage_reached, l.grade, l.created_at, l.test_drive_at "
        "FROM leads l JOIN customers c ON c.id = l.customer_id ORDER BY l.external_id",
    )
    assert [g[:5] for g in got] == [
        ("X1", "13812345678", "王小明", 4, "H"),
        ("X2", "13912345678", '\'=HYPERLINK("x")', 0, "B"),
    ]
    assert [pd.Timestamp(g[5]) for g in got] == [pd.Timestamp("2024-03-05 09:30"), pd.Timestamp("2024-03-05")]
    assert pd.Timestamp(got[0][6]) == pd.Timestamp("2024-03-09") and got[1][6] is None


def test_every_problem_has_both_languages_and_a_fix():
    import re

    from core.io.importing.messages import TEXT

    for key, (zh, en) in TEXT.items():
        assert zh.strip() and en.strip(), key
        assert sorted(re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en)), key
    row_problems = {k for k in TEXT if "." not in k}
    assert {f"fix.{k}" for k in row_problems} <= set(TEXT)
    for name in ("reading", "validate", "plan"):
        source = (Path(imp.__file__).parent / f"{name}.py").read_text(encoding="utf-8")
        codes = re.findall(r'ReadError\(\s*"([a-z_]+)"', source)
        codes += re.findall(r'add_issues\(\s*[^,()]+(?:\([^)]*\))?,\s*[^,]+,\s*"([a-z_]+)"', source)
        codes += re.findall(r'"(bad_[a-z]+|too_long)"', source)
        assert codes, name
        for code in codes:
            assert code in TEXT or f"file.{code}" in TEXT, (name, code)


# ---- equal rows, cut-off lines, impossible dates, separators (issues 12.13, 12.14, 12.15, 13.10) -------------
def _cdnow_file(rows: int = 1_500, seed: int = 7) -> tuple[bytes, pd.DataFrame]:
    """A CDNOW-style transaction file (customer, YYYYMMDD date, quantity, amount; columns aligned with
    spaces, no transaction id), where some customers bought the same thing twice on one day."""
    import numpy as np

    rng = np.random.default_rng(seed)
    raw = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 300, rows),
            "date": pd.to_datetime("1997-01-01") + pd.to_timedelta(rng.integers(0, 60, rows), unit="D"),
            "quantity": rng.integers(1, 4, rows),
            "amount": rng.choice([11.77, 12.00, 20.76, 29.33, 39.31], rows),
        }
    )
    raw = pd.concat([raw, raw.sample(60, random_state=seed)], ignore_index=True)  # 60 equal purchases
    lines = ["customer_id   date   quantity  amount"] + [
        f"{c:05d}  {d:%Y%m%d}  {q:2d}  {a:6.2f}" for c, d, q, a in raw.itertuples(index=False)
    ]
    return ("\n".join(lines) + "\n").encode("ascii"), raw


CDNOW_MAPPING = {
    "kind": "purchases",
    "columns": {"customer_external_id": "customer_id", "at": "date", "amount": "amount"},
    "defaults": {"store": "CDNOW"},
}


def test_equal_purchases_in_one_file_are_all_kept_and_a_second_import_changes_nothing(engine):
    data, raw = _cdnow_file()
    assert raw.duplicated().sum() >= 60
    mapping = imp.mapping_from_dict(CDNOW_MAPPING)
    res = imp.import_bytes(engine, data, "purchases", mapping=mapping, now=NOW)
    assert res.committed and res.error_rows == 0
    assert (res.inserted, res.merged) == (len(raw), 0)
    stored = pd.DataFrame(
        rows(
            engine,
            "SELECT c.external_id, p.amount FROM purchases p JOIN customers c ON c.id = p.customer_id",
        ),
        columns=["customer", "amount"],
    )
    got = (
        stored.assign(amount=stored["amount"].astype(float))
        .groupby("customer")["amount"]
        .agg(["count", "sum"])
    )
    want = raw.assign(customer=raw["customer_id"].map("{:05d}".format)).groupby("customer")["amount"]
    want = want.agg(["count", "sum"])
    pd.testing.assert_frame_equal(got.round(2), want.round(2), check_names=False)
    before = counts(engine)
    again = imp.import_bytes(engine, data, "purchases", mapping=mapping, now=NOW)
    assert (again.inserted, again.updated, again.unchanged, again.merged) == (0, 0, len(raw), 0)
    assert counts(engine) == before


def test_equal_rows_keep_their_keys_when_the_file_grows(engine):
    """The n-th equal row keeps its key in a longer export of the same data: only the new row is added."""
    head = "手机号,门店,消费日期,金额\n"
    row = "13812345678,惠城店,2024-03-05,300\n"
    imp.import_bytes(engine, csv(head + row * 2), "purchases", now=NOW)
    res = imp.import_bytes(engine, csv(head + row * 3), "purchases", now=NOW)
    assert (res.inserted, res.unchanged) == (1, 2)
    assert counts(engine)["purchases"] == 3


def test_a_line_cut_off_is_a_row_problem_not_a_date_of_1900(engine):
    text = (
        "客户编号,姓名,手机号,生日\nC1,王小明,13812345678,1990-01-05\nC2,李娜,13912345678,2\nC3,张伟,1501234"
    )
    res = imp.import_bytes(engine, csv(text), "customers", now=NOW)
    assert not res.committed and res.error_rows == 2
    got = res.issues[["row", "column", "value", "code"]].values.tolist()
    assert got == [[3, "生日", "2", "bad_date"], [4, None, None, "short_row"]]
    assert res.issues.loc[1, "params"] == {"fields": 3, "expected": 4}
    assert "line has 3 fields where the header has 4" in imp.report_frame(res.issues, "en").iloc[1, 3]
    assert counts(engine)["customers"] == 0
    res = imp.import_bytes(engine, csv(text), "customers", now=NOW, only_valid=True)
    assert res.committed and res.inserted == 1
    assert [
        (c, pd.Timestamp(d)) for c, d in rows(engine, "SELECT external_id, birth_date FROM customers")
    ] == [("C1", pd.Timestamp("1990-01-05"))]


def test_excel_serials_of_any_size_only_where_the_mapping_says_so(engine):
    text = "客户编号,手机号,生日\nC1,13812345678,32874\nC2,13912345678,367\n"
    mapping = {
        "kind": "customers",
        "columns": {"external_id": "客户编号", "phone": "手机号", "birth_date": "生日"},
    }
    res = imp.import_bytes(engine, csv(text), "customers", mapping=imp.mapping_from_dict(mapping), now=NOW)
    assert res.issues[["row", "code"]].values.tolist() == [[3, "bad_date"]]  # 32874 (5 digits) is a serial
    mapping["excel_serials"] = ["birth_date"]
    res = imp.import_bytes(engine, csv(text), "customers", mapping=imp.mapping_from_dict(mapping), now=NOW)
    assert res.committed and res.error_rows == 0
    assert sorted(pd.Timestamp(d) for (d,) in rows(engine, "SELECT birth_date FROM customers")) == [
        pd.Timestamp("1901-01-01"),
        pd.Timestamp("1990-01-01"),
    ]
    other = imp.mapping_from_dict(mapping | {"excel_serials": ["x"]})
    res = imp.import_bytes(engine, csv(text), "customers", mapping=other)
    assert res.file_rejected and res.issues["code"].tolist() == ["mapping.field"]


def test_whitespace_aligned_files_are_read():
    table = read_table(b"customer_id   date  amount\n  00001 19970101  11.77\n00002  19970102 20\n")
    assert table.headers == ["customer_id", "date", "amount"]
    assert table.frame.values.tolist() == [["00001", "19970101", "11.77"], ["00002", "19970102", "20"]]


def test_a_separator_not_recognised_is_named(engine):
    res = imp.import_bytes(engine, csv("客户编号:手机号\nC1:13812345678\n"), "customers", now=NOW)
    assert res.file_rejected and res.issues.loc[0, "code"] == "file.one_column"
    assert "separator" in imp.report_frame(res.issues, "en").iloc[0, 3]


OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "9999/12/31 23:59:59", "31/12/9999", "00010101", "9999年12月31日"]
DATED = {
    "customers": ("客户编号,手机号,创建时间\nC1,13812345678,2024-03-05\nC2,13912345678,{d}\n", "创建时间"),
    "leads": (
        "商机编号,客户编号,门店,渠道,创建时间\nL1,C1,惠城店,抖音,2024-03-05\nL2,C2,惠城店,抖音,{d}\n",
        "创建时间",
    ),
    "followups": ("客户编号,跟进时间,跟进方式\nC1,2024-03-05,电话\nC2,{d},电话\n", "跟进时间"),
    "purchases": ("客户编号,门店,消费日期,金额\nC1,惠城店,2024-03-05,100\nC2,惠城店,{d},100\n", "消费日期"),
    "defeats": ("商机编号,战败日期,战败原因\nL1,2024-03-05,价格\nL2,{d},价格\n", "战败日期"),
    "spend": ("月份,渠道,门店,投放费用\n2024-03,抖音,惠城店,100\n{d},抖音,惠城店,100\n", "月份"),
}


@pytest.fixture
def sqlite_engine(sqlite_url):
    from core.storage.db import open_database

    eng = open_database(sqlite_url)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("kind", list(DATED))
def test_dates_beyond_any_calendar_a_dealer_uses_are_row_problems(sqlite_engine, kind):
    imp.import_bytes(sqlite_engine, csv(DATED["leads"][0].format(d="2024-03-06")), "leads", now=NOW)
    before = counts(sqlite_engine)
    template, column = DATED[kind]
    for value in OUT_OF_RANGE:
        res = imp.import_bytes(sqlite_engine, csv(template.format(d=value)), kind, now=NOW)
        assert not res.committed and res.error_rows == 1, value
        assert res.issues[["row", "column", "value", "code"]].values.tolist() == [
            [3, column, value, "bad_date"]
        ]
        assert counts(sqlite_engine) == before


def test_one_defeat_id_on_two_leads_is_a_row_problem(engine):
    imp.import_bytes(engine, csv(DATED["leads"][0].format(d="2024-03-06")), "leads", now=NOW)
    imp.import_bytes(
        engine, csv("商机编号,客户编号,门店,渠道,创建时间\nL3,C3,惠城店,抖音,2024-03-07\n"), "leads", now=NOW
    )
    before = counts(engine)
    text = "战败编号,商机编号,战败日期,战败原因\nD1,L1,2024-03-10,价格\nD1,L2,2024-03-11,竞品\n"
    res = imp.import_bytes(engine, csv(text), "defeats", now=NOW)
    assert not res.committed
    assert res.issues[["row", "column", "value", "code"]].values.tolist() == [
        [3, "战败编号", "D1", "key_taken"]
    ]
    assert counts(engine) == before
    res = imp.import_bytes(engine, csv(text), "defeats", now=NOW, only_valid=True)
    assert res.committed and res.inserted == 1
    # the stored D1 belongs to L1: another lead cannot take it in a later file either
    res = imp.import_bytes(
        engine, csv("战败编号,商机编号,战败日期,战败原因\nD1,L3,2024-03-12,价格\n"), "defeats"
    )
    assert res.issues["code"].tolist() == ["key_taken"] and not res.committed
    again = imp.import_bytes(engine, csv(text), "defeats", now=NOW, only_valid=True)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
