"""Property-based fuzzing of imports with malformed files of all six kinds: wrong types, missing columns, broken
encodings, huge fields, formula injection, quotes and line breaks in cells, lines cut off or short of fields,
space-aligned columns, dates beyond pandas' range (9999-12-31, 0001-01-01), bare small numbers in date columns,
one defeat id on two leads, and crashes in the middle of writing.

The property: every file either imports as its result says (the database grew by exactly the reported rows) or
is rejected with a report (and the database did not change at all); no exception escapes, ever, and no import
of a few rows takes more than a few seconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.io import importing as imp
from core.io.importing import stage
from core.io.importing.store import TABLE
from core.storage.db import open_database
from core.storage.models import Base

HEADERS = {
    "customers": ["客户编号", "姓名", "手机号", "性别", "区域", "生日", "客户类型"],
    "leads": ["商机编号", "客户编号", "手机号", "门店", "渠道", "阶段", "创建时间", "战败时间"],
    "followups": ["客户编号", "商机编号", "跟进时间", "跟进方式", "跟进结果"],
    "purchases": ["单号", "手机号", "客户编号", "门店", "消费日期", "金额", "消费类型"],
    "defeats": ["战败编号", "商机编号", "战败日期", "战败原因"],
    "spend": ["月份", "渠道", "门店", "投放费用"],
}
REQUIRED = {
    "customers": ["手机号"],
    "leads": ["客户编号", "门店", "渠道", "创建时间"],
    "followups": ["客户编号", "跟进时间", "跟进方式"],
    "purchases": ["手机号", "门店", "消费日期", "金额"],
    "defeats": ["商机编号", "战败日期", "战败原因"],
    "spend": ["月份", "渠道", "门店", "投放费用"],
}
# dates no calendar of a dealer holds (pandas' nanosecond range ends in 1677 and 2262), and bare numbers
# that only an Excel serial column would call a date
ODD_DATES = ["9999-12-31", "0001-01-01", "9999/12/31 23:59", "31/12/9999", "00010101", "2", "400"]
DATES = st.sampled_from(["2024-03-05", "2024/3/6", "45356", "2024年3月7日 10:00", *ODD_DATES])
GOOD = {
    "客户编号": st.sampled_from(["C1", "C2", "C3", "C-9", "外部001"]),
    "姓名": st.sampled_from(["王小明", "李娜", "Ann", "惠州市鑫达实业有限公司"]),
    "手机号": st.sampled_from(["13812345678", "+86 139-1234-5678", "8264678", "0086 150 0000 0000"]),
    "性别": st.sampled_from(["男", "女", "M", "female"]),
    "区域": st.sampled_from(["惠城区", "博罗县", "Aurora"]),
    "生日": st.sampled_from(["1990-01-05", "1985/3/4", "1979年12月1日", "30000", *ODD_DATES]),
    "客户类型": st.sampled_from(["个人", "企业", "person"]),
    "单号": st.sampled_from(["P1", "P2", "P3", "P4"]),
    "门店": st.sampled_from(["惠城店", "博罗店"]),
    "消费日期": DATES,
    "金额": st.sampled_from(["128000", "12.8万", "1,280.50", "¥300"]),
    "消费类型": st.sampled_from(["新车", "保养", "insurance"]),
    "商机编号": st.sampled_from(["L1", "L2", "L3", "L4"]),
    "渠道": st.sampled_from(["抖音", "汽车之家"]),
    "阶段": st.sampled_from(["线索", "试驾", "订车", ""]),
    "创建时间": DATES,
    "战败时间": st.sampled_from(["", "2024-03-20", *ODD_DATES]),
    "跟进时间": DATES,
    "跟进方式": st.sampled_from(["电话", "微信", "到店"]),
    "跟进结果": st.sampled_from(["接通", "未接通", ""]),
    "战败编号": st.sampled_from(["D1", "D2", ""]),  # one defeat id on two leads now and then
    "战败日期": DATES,
    "战败原因": st.sampled_from(["价格", "竞品", "服务"]),
    "月份": st.sampled_from(["2024-03", "2024年4月", "2024/5/1", *ODD_DATES]),
    "投放费用": st.sampled_from(["1000", "1.2万", "0"]),
}
BAD = st.one_of(
    st.just(""),
    st.sampled_from(
        ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+2", "明天", "abc", "NaN"]
    ),
    st.sampled_from(ODD_DATES),
    st.text(min_size=0, max_size=20),
    st.text(alphabet='王李张刘abc,"\n\r\t;', min_size=0, max_size=12),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=200, max_value=3000).map(lambda n: "长" * n),  # longer than any column
)
SECONDS = 20  # per import of a few rows: more is a hang


@st.composite
def files(draw):
    kind = draw(st.sampled_from(sorted(HEADERS)))
    extra = draw(st.lists(st.sampled_from(HEADERS[kind]), max_size=len(HEADERS[kind]), unique=True))
    headers = list(dict.fromkeys([*REQUIRED[kind], *extra]))
    if draw(st.integers(min_value=0, max_value=6)) == 0:  # now and then a required column is missing
        headers.remove(draw(st.sampled_from(REQUIRED[kind])))
    headers = list(draw(st.permutations(headers))) if headers else ["x"]
    n = draw(st.integers(min_value=0, max_value=8))
    rows = []
    for _ in range(n):
        rows.append([draw(BAD) if draw(st.integers(0, 7)) == 0 else draw(GOOD.get(h, BAD)) for h in headers])
    layout = draw(st.sampled_from(["csv"] * 5 + ["ragged", "spaces"]))
    if layout == "spaces":  # columns aligned with spaces (an empty cell shortens its line)
        text = "".join("   ".join(" ".join(str(c).split()) for c in line) + "\n" for line in [headers, *rows])
    else:
        if layout == "ragged" and rows:  # a line that lost its last fields
            at = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            rows[at] = rows[at][: draw(st.integers(min_value=0, max_value=max(len(rows[at]) - 1, 0)))]
        buf = io.StringIO()
        csv.writer(buf).writerows([headers, *rows])
        text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from(["none"] * 12 + ["bytes", "truncate", "nul"]))
    if damage == "bytes" and data:
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    elif damage == "truncate":
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    elif damage == "nul":
        data = data + b"\x00"
    return kind, data


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@contextlib.contextmanager
def crash_after(writes: int | None):
    """Make the n-th table write of an import raise, as a crash or a full disk would."""
    if writes is None:
        yield
        return
    real, seen = stage.publish_write, [0]  # SQLite publishes the staged rows one table at a time

    def failing(conn, write):
        seen[0] += 1
        if seen[0] > writes:
            raise OSError("simulated crash while writing")
        return real(conn, write)

    stage.publish_write = failing
    try:
        yield
    finally:
        stage.publish_write = real


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """An empty database at the newest schema, copied for every example (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("fuzz") / "template.sqlite"
    eng = open_database(f"sqlite:///{path}")
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@contextlib.contextmanager
def fresh_engine(template: Path):
    """Each example gets its own database, so a failure reproduces and shrinks."""
    folder = Path(tempfile.mkdtemp(dir=template.parent))
    shutil.copy(template, folder / "f.sqlite")
    eng = open_database(f"sqlite:///{folder / 'f.sqlite'}")
    try:
        yield eng
    finally:
        eng.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory):
    eng = open_database(f"sqlite:///{tmp_path_factory.mktemp('fuzz-bytes') / 'f.sqlite'}")
    yield eng
    eng.dispose()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    earlier=st.lists(files(), max_size=3),
    file=files(),
    only_valid=st.booleans(),
    crash=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)
def test_every_file_imports_as_reported_or_is_rejected_whole(template_db, earlier, file, only_valid, crash):
    """On a database that earlier (random) files may already have filled."""
    with fresh_engine(template_db) as engine:
        for kind, data in earlier:
            imp.import_bytes(engine, data, kind, only_valid=True)
        _check_one_import(engine, file, only_valid, crash)


def _check_one_import(fuzz_engine, file, only_valid, crash) -> None:
    kind, data = file
    before = _counts(fuzz_engine)
    crashed = False
    start = time.perf_counter()
    with crash_after(crash):
        try:
            res = imp.import_bytes(fuzz_engine, data, kind, only_valid=only_valid)
        except OSError as exc:
            assert "simulated crash" in str(exc)
            crashed = True
    assert time.perf_counter() - start < SECONDS, "an import of a few rows hung"
    after = _counts(fuzz_engine)
    event(
        "crashed"
        if crashed
        else "file rejected"
        if res.file_rejected
        else "committed"
        if res.committed
        else "rows rejected"
    )
    if crashed:
        assert after == before, "a crash left part of an import behind"
        return
    if res.file_rejected:  # unreadable, or the headers do not fit: one file-level problem, nothing written
        assert not res.committed and after == before
        assert len(res.issues) == 1 and imp.report_frame(res.issues, "en").iloc[0, 3]
        return
    assert res.rows == res.valid_rows + res.error_rows
    bad_rows = set(res.issues["row"].dropna().astype(int))
    assert len(bad_rows) == res.error_rows
    assert all(2 <= r <= res.rows + 1 for r in bad_rows)
    if not res.committed:
        assert after == before, "a rejected file changed the database"
        assert len(res.issues) or res.valid_rows == 0
        if res.rows and not res.valid_rows:
            assert len(res.issues), "nothing imported and no report saying why"
        return
    assert only_valid or res.error_rows == 0
    table = TABLE[kind]
    assert after[table] - before[table] == res.inserted
    if kind in ("leads", "followups", "purchases"):
        assert after["customers"] - before["customers"] == res.customers_created
    # importing the same bytes again changes nothing
    again = imp.import_bytes(fuzz_engine, data, kind, only_valid=True)
    assert again.inserted == 0 and again.customers_created == 0 and again.updated == 0
    assert _counts(fuzz_engine) == after


@settings(max_examples=40)
@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_an_exception(fuzz_engine, data):
    before = _counts(fuzz_engine)
    res = imp.import_bytes(fuzz_engine, data, "customers")
    if not res.committed:
        assert _counts(fuzz_engine) == before
