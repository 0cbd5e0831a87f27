"""Defeat figures against an independent pandas computation over the raw tables, a tiny hand-made case with
exact numbers, the downloads' bytes, and the page through AppTest."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from core.access.privacy import mask_name, mask_phone
from core.analytics import defeats as cd
from core.analytics.overview import Filters
from core.io import exports
from core.storage.bulk import write_frames
from core.storage.db import open_database
from core.storage.models import DEFEAT_REASONS, FUNNEL_STAGES, PRICE_SUB_REASONS
from tests.pii import unseal_frame
from tests.signin import sign_in

PAGE = str(Path(__file__).resolve().parents[3] / "pages" / "defeats.py")
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def raw(demo_db):
    with demo_db.engine.connect() as conn:
        d = pd.read_sql("SELECT * FROM defeats", conn)
        leads = pd.read_sql("SELECT id, store_id, channel_id, intended_model, advisor_id FROM leads", conn)
        customers = unseal_frame(pd.read_sql("SELECT id, region_id, name, phone FROM customers", conn))
        channels = pd.read_sql("SELECT id, name, name_en FROM channels", conn)
        advisors = pd.read_sql("SELECT id, name FROM advisors", conn)
        stores = pd.read_sql("SELECT id, name FROM stores", conn)
        buys = pd.read_sql("SELECT customer_id, at FROM purchases WHERE kind = 'new_car'", conn)
    d["at"] = pd.to_datetime(d["at"])
    buys["at"] = pd.to_datetime(buys["at"])
    d = d.merge(leads.rename(columns={"id": "lead_id", "advisor_id": "lead_advisor"}), on="lead_id")
    d = d.merge(customers[["id", "region_id"]].rename(columns={"id": "customer_id"}), on="customer_id")
    d["adv"] = d["advisor_id"].fillna(d["lead_advisor"])
    d["advisor"] = d["adv"].map(advisors.set_index("id")["name"])
    d["channel"] = d["channel_id"].map(channels.set_index("id")["name"])
    d["channel_en"] = d["channel_id"].map(channels.set_index("id")["name_en"])
    d["store"] = d["store_id"].map(stores.set_index("id")["name"])
    d["reactivated"] = d["reactivated"].astype(bool)
    return {"defeats": d, "customers": customers.set_index("id"), "buys": buys}


def select(d: pd.DataFrame, f: Filters) -> pd.DataFrame:
    keep = (d["at"] >= pd.Timestamp(f.start)) & (d["at"] < pd.Timestamp(f.end + dt.timedelta(days=1)))
    keep &= d["approval"] != "returned"
    if f.store_ids:
        keep &= d["store_id"].isin(f.store_ids)
    if f.channel_ids:
        keep &= d["channel_id"].isin(f.channel_ids)
    if f.region_ids:
        keep &= d["region_id"].isin(f.region_ids)
    return d[keep]


def expected_ranked(codes: pd.Series, order: tuple[str, ...], name: str) -> pd.DataFrame:
    rows = sorted(codes.value_counts().items(), key=lambda kv: (-kv[1], list(order).index(kv[0])))
    total = sum(n for _, n in rows)
    cum = 0
    out = []
    for code, n in rows:
        cum += n
        out.append({name: code, "count": int(n), "share": n / total, "cum_share": cum / total})
    return pd.DataFrame(out, columns=[name, "count", "share", "cum_share"]).astype(
        {name: object, "count": "int64", "share": float, "cum_share": float}
    )


FILTERS = [
    Filters(dt.date(2026, 6, 1), AS_OF),
    Filters(dt.date(2026, 1, 1), AS_OF),
    Filters(dt.date(2024, 1, 1), AS_OF),
    Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31), store_ids=(1,)),
    Filters(dt.date(2024, 7, 1), AS_OF, channel_ids=(1, 2)),
    Filters(dt.date(2024, 7, 1), AS_OF, region_ids=(1, 3)),
    Filters(dt.date(2024, 7, 1), AS_OF, store_ids=(2,), region_ids=(2,), channel_ids=(3,)),
]
IDS = ["june", "half_year", "all", "2025_store1", "channels", "regions", "all_filters"]


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_pareto_and_price_sub_reasons(demo_db, raw, f):
    sel = select(raw["defeats"], f)
    with demo_db.engine.connect() as conn:
        got = cd.pareto(conn=conn, filters=f)
        subs = cd.price_sub_reasons(conn=conn, filters=f)
    if sel.empty:
        assert got.empty and list(got.columns) == ["reason", "count", "share", "cum_share"]
        return
    assert_frame_equal(got, expected_ranked(sel["reason"], DEFEAT_REASONS, "reason"))
    price = sel.loc[sel["reason"] == "price", "sub_reason"].fillna("unspecified")
    if price.empty:
        assert subs.empty
    else:
        assert_frame_equal(subs, expected_ranked(price, PRICE_SUB_REASONS + ("unspecified",), "sub_reason"))


@pytest.mark.parametrize("by", cd.BREAKDOWNS)
@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_breakdown(demo_db, raw, f, by):
    sel = select(raw["defeats"], f)
    with demo_db.engine.connect() as conn:
        got = cd.breakdown(conn=conn, filters=f, by=by)
    group = {
        "model": sel["intended_model"],
        "competitor": sel["competitor_brand"],
        "advisor": sel["advisor"].map(mask_name, na_action="ignore"),
        "channel": sel["channel"],
        "stage": sel["stage_lost"].map(lambda i: FUNNEL_STAGES[i]),
    }[by].fillna("—")
    expected = {(g, r): n for (g, r), n in pd.crosstab(group, sel["reason"]).stack().items() if n}
    assert dict(zip(zip(got["group"], got["reason"], strict=True), got["count"], strict=True)) == expected
    assert int(got["count"].sum()) == len(sel)
    # groups are contiguous, largest first ("—" last), stages in funnel order
    groups = list(dict.fromkeys(got["group"]))
    totals = got.groupby("group")["count"].sum()
    if by == "stage":
        assert groups == [s for s in FUNNEL_STAGES if s in groups]
    else:
        key = [(g == "—", -int(totals[g])) for g in groups]
        assert key == sorted(key)


def test_breakdown_rejects_an_unknown_dimension(demo_db):
    with demo_db.engine.connect() as conn, pytest.raises(ValueError, match="by must be one of"):
        cd.breakdown(conn=conn, filters=FILTERS[0], by="colour")


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_monthly_trend(demo_db, raw, f):
    sel = select(raw["defeats"], f)
    with demo_db.engine.connect() as conn:
        got = cd.monthly_trend(conn=conn, filters=f)
    month = sel["at"].dt.to_period("M").astype(str)
    expected = {(m, r): n for (m, r), n in pd.crosstab(month, sel["reason"]).stack().items() if n}
    assert dict(zip(zip(got["month"], got["reason"], strict=True), got["count"], strict=True)) == expected
    assert got["month"].tolist() == sorted(got["month"])


def expected_win_back(raw, f):
    sel = select(raw["defeats"], f)
    per = sel.groupby("customer_id").agg(first=("at", "min"), re=("reactivated", "any"))
    won = 0
    for cid, row in per.iterrows():
        days = raw["buys"].loc[raw["buys"]["customer_id"] == cid, "at"]
        won += bool((days.dt.date > row["first"].date()).any())
    return per, won


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_win_back(demo_db, raw, f):
    per, won = expected_win_back(raw, f)
    with demo_db.engine.connect() as conn:
        got = cd.win_back(conn=conn, filters=f)
    n = len(per)
    assert got == {
        "defeated": n,
        "reactivated": int(per["re"].sum()),
        "won_back": won,
        "reactivation_rate": int(per["re"].sum()) / n if n else None,
        "win_back_rate": won / n if n else None,
    }


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_reactivation_candidates(demo_db, raw, f):
    sel = select(raw["defeats"], f)
    with demo_db.engine.connect() as conn:
        got = cd.reactivation_candidates(conn=conn, filters=f, limit=1000)
        raw_pii = cd.reactivation_candidates(conn=conn, filters=f, limit=1000, show_pii=True)
    expected = set()
    for cid, rows in sel.groupby("customer_id"):
        first = rows["at"].min().date()
        if rows["reactivated"].any():
            continue
        if (raw["buys"].loc[raw["buys"]["customer_id"] == cid, "at"].dt.date > first).any():
            continue
        ok = rows[(rows["stage_lost"] >= 4) & rows["reason"].isin(["price", "finance", "delivery_time"])]
        if len(ok):
            expected.add(cid)
    assert set(got["customer_id"]) == expected
    assert got["customer_id"].is_unique
    assert got["defeated_at"].tolist() == sorted(got["defeated_at"], reverse=True)
    assert set(got["stage_lost"]) <= {"test_drive", "quote", "order", "delivery"}
    people = raw["customers"]
    for _, row in raw_pii.iterrows():
        assert row["name"] == people.loc[row["customer_id"], "name"]
    for _, row in got.iterrows():
        assert row["name"] == mask_name(people.loc[row["customer_id"], "name"])
        assert row["phone"] == mask_phone(people.loc[row["customer_id"], "phone"])
        assert row["name"] != people.loc[row["customer_id"], "name"]
    with demo_db.engine.connect() as conn:
        assert len(cd.reactivation_candidates(conn=conn, filters=f, limit=2)) == min(2, len(expected))


def test_price_is_the_top_reason_on_the_demo(demo_db):
    with demo_db.engine.connect() as conn:
        got = cd.pareto(conn=conn, filters=Filters(dt.date(2023, 1, 1), AS_OF))
    assert got["reason"].iloc[0] == "price"
    assert got["cum_share"].iloc[-1] == pytest.approx(1.0)


# -- a tiny hand-made database with exact numbers ---------------------------------------------------------


@pytest.fixture
def tiny(tmp_path):
    eng = open_database(f"sqlite:///{tmp_path / 'tiny.sqlite'}")
    t0 = dt.datetime(2026, 3, 1, 10)
    regions = pd.DataFrame(
        {"id": [1, 2], "code": ["r1", "r2"], "name": ["惠城", "博罗"], "name_en": ["A", "B"]}
    )
    stores = pd.DataFrame(
        {
            "id": [1],
            "code": ["s1"],
            "name": ["惠城店"],
            "name_en": ["Store 1"],
            "region_id": [1],
            "brand": ["江铃"],
        }
    )
    channels = pd.DataFrame(
        {
            "id": [1, 2],
            "code": ["web", "walk"],
            "name": ["汽车之家", "自然到店"],
            "name_en": ["Autohome", "Walk-in"],
            "cost_model": ["per_lead", "none"],
            "online": [True, False],
        }
    )
    advisors = pd.DataFrame(
        {
            "id": [1],
            "store_id": [1],
            "name": ["王小明"],
            "level": ["senior"],
            "capacity_per_week": [50],
            "active": [True],
        }
    )
    customers = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "kind": ["person"] * 5,
            "name": ["张三丰", "李四", "王五", "赵六", "钱七"],
            "phone": ["13812345678", "13900001111", "13700002222", "13600003333", "13500004444"],
            "region_id": [1, 1, 2, 1, 1],
            "store_id": [1] * 5,
            "created_at": [t0 - dt.timedelta(days=30)] * 5,
            "is_owner": [False] * 5,
        }
    )
    leads = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "customer_id": [1, 2, 3, 4, 5, 1],
            "store_id": [1] * 6,
            "advisor_id": [1] * 6,
            "channel_id": [1, 1, 2, 1, 2, 1],
            "intended_model": ["域虎7", "域虎7", "福顺", None, "福顺", "域虎7"],
            "grade": ["A"] * 6,
            "status": ["defeated"] * 6,
            "stage_reached": [5, 4, 2, 5, 1, 3],
            "created_at": [t0 - dt.timedelta(days=20)] * 6,
            # a lost lead's defeat time, as an import or an approval sets it (the defeats below)
            "defeated_at": [t0 + dt.timedelta(days=d) for d in (0, 3, 5, 40, 41, 200)],
            "asked_competitor": [False] * 6,
        }
    )
    defeats = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "lead_id": [1, 2, 3, 4, 5, 6],
            "customer_id": [1, 2, 3, 4, 5, 1],
            "advisor_id": [1] * 6,
            "at": [
                t0,
                t0 + dt.timedelta(days=3),
                t0 + dt.timedelta(days=5),
                t0 + dt.timedelta(days=40),
                t0 + dt.timedelta(days=41),
                t0 + dt.timedelta(days=200),  # outside the period
            ],
            "stage_lost": [5, 4, 2, 5, 1, 3],
            "reason": ["price", "price", "competitor", "finance", "price", "model"],
            "sub_reason": ["dealer_markup", "price_war", None, None, "dealer_markup", None],
            "competitor_brand": [None, None, "长城", None, None, None],
            "competitor_model": [None] * 6,
            "approval": ["approved"] * 6,
            "reactivated": [False, True, False, False, False, False],
            "reactivated_at": [None, t0 + dt.timedelta(days=10), None, None, None, None],
        }
    )
    purchases = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "customer_id": [2, 3, 1],
            "store_id": [1, 1, 1],
            "kind": ["new_car", "new_car", "maintenance"],
            "at": [dt.date(2026, 3, 20), dt.date(2026, 3, 6), dt.date(2026, 3, 9)],
            "amount": [100000, 90000, 500],
            "gross_profit": [5000, 4000, 200],
        }
    )
    write_frames(
        eng,
        [
            ("regions", regions),
            ("stores", stores),
            ("channels", channels),
            ("advisors", advisors),
            ("customers", customers),
            ("leads", leads),
            ("defeats", defeats),
            ("purchases", purchases),
        ],
    )
    yield eng, Filters(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    eng.dispose()


def test_tiny_case_exact_figures(tiny):
    eng, f = tiny
    with eng.connect() as conn:
        pareto = cd.pareto(conn=conn, filters=f)
        subs = cd.price_sub_reasons(conn=conn, filters=f)
        by_model = cd.breakdown(conn=conn, filters=f, by="model")
        by_channel = cd.breakdown(conn=conn, filters=f, by="channel", lang="en")
        trend = cd.monthly_trend(conn=conn, filters=f)
        wb = cd.win_back(conn=conn, filters=f)
        cand = cd.reactivation_candidates(conn=conn, filters=f)
        region2 = cd.pareto(conn=conn, filters=Filters(f.start, f.end, region_ids=(2,)))
        walk_in = cd.win_back(conn=conn, filters=Filters(f.start, f.end, channel_ids=(2,)))
    assert_frame_equal(
        pareto,
        pd.DataFrame(
            {
                "reason": ["price", "competitor", "finance"],
                "count": [3, 1, 1],
                "share": [0.6, 0.2, 0.2],
                "cum_share": [0.6, 0.8, 1.0],
            }
        ).astype({"reason": object, "count": "int64"}),
    )
    assert subs["sub_reason"].tolist() == ["dealer_markup", "price_war"]
    assert subs["count"].tolist() == [2, 1]
    assert list(zip(by_model["group"], by_model["reason"], by_model["count"], strict=True)) == [
        ("域虎7", "price", 2),
        ("福顺", "price", 1),
        ("福顺", "competitor", 1),
        ("—", "finance", 1),
    ]
    assert list(zip(by_channel["group"], by_channel["reason"], by_channel["count"], strict=True)) == [
        ("Autohome", "price", 2),
        ("Autohome", "finance", 1),
        ("Walk-in", "price", 1),
        ("Walk-in", "competitor", 1),
    ]
    assert list(zip(trend["month"], trend["reason"], trend["count"], strict=True)) == [
        ("2026-03", "price", 2),
        ("2026-03", "competitor", 1),
        ("2026-04", "price", 1),
        ("2026-04", "finance", 1),
    ]
    # customers 1-5 defeated; 2 re-activated; 2 bought a new car later (3 bought on the defeat day: not
    # after it; 1's purchase is maintenance)
    assert wb == {
        "defeated": 5,
        "reactivated": 1,
        "won_back": 1,
        "reactivation_rate": 0.2,
        "win_back_rate": 0.2,
    }
    # 4 (finance at quote, Apr 10) and 1 (price at quote, Mar 1); 2 re-activated, 3 and 5 lost early
    assert cand["customer_id"].tolist() == [4, 1]
    assert cand["name"].tolist() == ["赵*", "张**"]
    assert cand["phone"].tolist() == ["136****3333", "138****5678"]
    assert cand["advisor"].tolist() == ["王**", "王**"]
    assert cand["stage_lost"].tolist() == ["quote", "quote"]
    assert region2["reason"].tolist() == ["competitor"]
    assert walk_in["defeated"] == 2 and walk_in["won_back"] == 0


def test_a_purchase_on_the_defeat_day_is_not_a_win_back(tiny):
    eng, _ = tiny
    with eng.connect() as conn:
        wb = cd.win_back(conn=conn, filters=Filters(dt.date(2026, 3, 6), dt.date(2026, 3, 6)))
    assert wb["defeated"] == 1 and wb["won_back"] == 0  # customer 3 defeated and bought on 3-06


# -- downloads ----------------------------------------------------------------------------------------------


def test_csv_and_excel_bytes_round_trip():
    frame = pd.DataFrame({"战败原因": ["价格", "=HYPERLINK(1)"], "战败数": [3, 1], "占比": [0.75, 0.25]})
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(frame)), encoding="utf-8-sig")
    assert exports.csv_bytes(frame).startswith(b"\xef\xbb\xbf")
    assert back["战败原因"].tolist() == ["价格", "'=HYPERLINK(1)"]
    assert back["战败数"].tolist() == [3, 1]
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(frame, sheet="pareto")))
    rows = list(book["pareto"].iter_rows(values_only=True))
    assert rows == [("战败原因", "战败数", "占比"), ("价格", 3, 0.75), ("'=HYPERLINK(1)", 1, 0.25)]


# -- the page -----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def page(url: str, f: Filters, lang: str = "zh", role: str = "analyst") -> AppTest:
    """The page for a signed-in ``role`` (analysts see masked personal data)."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    return sign_in(at, url, role).run()


ZH_REASONS = {
    "price": "价格",
    "competitor": "竞品",
    "model": "车型/配置",
    "service": "服务体验",
    "finance": "金融方案",
    "delivery_time": "交付时间",
    "unclear_need": "需求不明确/借口",
}


def test_page_shows_the_pareto_of_the_database(demo_db):
    f = Filters(dt.date(2025, 7, 1), AS_OF)
    at = page(demo_db.url, f)
    assert not at.exception
    assert at.title[0].value == "战败分析"
    with demo_db.engine.connect() as conn:
        expected = cd.pareto(conn=conn, filters=f)
        wb = cd.win_back(conn=conn, filters=f)
        cand = cd.reactivation_candidates(conn=conn, filters=f)
    table = at.dataframe[0].value
    assert list(table.columns) == ["战败原因", "战败数", "占比", "累计占比"]
    assert table["战败原因"].tolist() == [ZH_REASONS[r] for r in expected["reason"]]
    assert table["战败数"].tolist() == expected["count"].tolist()
    assert table["累计占比"].tolist() == pytest.approx(expected["cum_share"].tolist())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["战败客户"] == f"{wb['defeated']:,}"
    assert metrics["再次购车率"] == f"{wb['win_back_rate']:.1%}"
    shown = at.dataframe[-1].value
    assert shown["客户编号"].tolist() == cand["customer_id"].tolist()
    assert all("*" in name for name in shown["姓名"])
    assert len(at.get("plotly_chart")) == 4
    assert len(at.get("download_button")) == 12  # 5 tables + the customers behind a reason, CSV and Excel


def test_page_breakdown_selector(demo_db):
    f = Filters(dt.date(2025, 7, 1), AS_OF)
    at = page(demo_db.url, f)
    at.selectbox(key="by.zh").set_value("stage").run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        expected = cd.breakdown(conn=conn, filters=f, by="stage")
    (table,) = [d.value for d in at.dataframe if "分组" in d.value.columns]
    assert table["战败数"].tolist() == expected["count"].tolist()
    assert set(table["分组"]) <= {"线索", "首次联系", "需求分析", "到店", "试驾", "报价", "订车", "交车"}


def test_page_in_english(demo_db):
    at = page(demo_db.url, Filters(dt.date(2025, 7, 1), AS_OF), "en")
    assert not at.exception
    assert at.title[0].value == "Defeat reasons"
    assert at.dataframe[0].value.columns.tolist() == ["Reason", "Defeats", "Share", "Cumulative share"]


def test_page_empty_state(demo_db):
    at = page(demo_db.url, Filters(dt.date(2001, 1, 1), dt.date(2001, 1, 31)))
    assert not at.exception
    assert [i.value for i in at.info] == ["所选期间和筛选条件下没有战败记录。请放宽日期范围或筛选条件。"]
    assert len(at.dataframe) == 0


def test_every_text_has_both_languages():
    from dashboard.texts.defeats import TEXT

    assert all(k.startswith("defeats.") and zh and en for k, (zh, en) in TEXT.items())
    assert {f"defeats.reason.{r}" for r in DEFEAT_REASONS} <= set(TEXT)
    assert {f"defeats.sub.{s}" for s in PRICE_SUB_REASONS} <= set(TEXT)
    assert {f"defeats.stage.{s}" for s in FUNNEL_STAGES} <= set(TEXT)
    assert {f"defeats.by.{b}" for b in cd.BREAKDOWNS} <= set(TEXT)


# ---- the brush: months chosen on the monthly bars filter the reasons beside them ---------------------------------


def vega(at: AppTest, key_start: str) -> tuple[dict, pd.DataFrame]:
    """The spec and data of the page's Altair chart of that key (the brushed bars, whose key starts with
    ``defeats_brush``, or the reasons beside them, drawn next and without a selection)."""
    import json

    import pyarrow as pa

    brush, reasons = at.get("vega_lite_chart")
    el = reasons if key_start == "defeats_brushed_reasons" else brush
    assert key_start in el.proto.id or el is reasons
    data = el.proto.datasets[0].data.data
    return json.loads(el.proto.spec), pa.ipc.open_stream(data).read_all().to_pandas()


def brushed(ms: tuple[str, str]) -> dict:
    """A selection event as the browser sends it: the brush's ends in milliseconds since the epoch (UTC)."""
    ends = [int(pd.Timestamp(x, tz="UTC").timestamp() * 1000) for x in ms]
    return {"selection": {"brush": {"utcyearmonth_month": ends}}}


YEAR = Filters(dt.date(2025, 7, 1), AS_OF)


def test_page_brush_chart_draws_the_core_monthly_trend(demo_db):
    at = page(demo_db.url, YEAR)
    assert not at.exception
    spec, data = vega(at, "defeats_brush.zh")
    assert spec["params"][0]["name"] == "brush" and spec["params"][0]["select"]["encodings"] == ["x"]
    assert spec["encoding"]["x"]["axis"]["format"] == "%Y年%-m月"
    with demo_db.engine.connect() as conn:
        trend = cd.monthly_trend(conn=conn, filters=YEAR)
    got = data.assign(month=data["month"].str[:7]).groupby("month")["count"].sum()
    assert got.to_dict() == trend.groupby("month")["count"].sum().to_dict()
    # no brush: the reasons beside it are the page's Pareto, for the whole period
    _, reasons = vega(at, "defeats_brushed_reasons")
    with demo_db.engine.connect() as conn:
        expected = cd.pareto(conn=conn, filters=YEAR)
    assert reasons["reason"].tolist() == [ZH_REASONS.get(r, "未填写原因") for r in expected["reason"]]
    assert reasons["count"].tolist() == expected["count"].tolist()


@pytest.mark.parametrize(
    ("ends", "first", "last"),
    [
        (("2026-02-10", "2026-04-20"), dt.date(2026, 2, 1), dt.date(2026, 4, 30)),
        (("2026-05-20", "2026-05-03"), dt.date(2026, 5, 1), dt.date(2026, 5, 31)),  # dragged right to left
        (("2025-01-01", "2025-08-02"), dt.date(2025, 7, 1), dt.date(2025, 7, 31)),  # cut to the period
    ],
)
def test_page_brushed_months_filter_the_reasons_to_the_core_pareto_of_those_months(
    demo_db, ends, first, last
):
    at = page(demo_db.url, YEAR)
    at.session_state["defeats_brush.zh." + "-".join(map(str, (YEAR.start, YEAR.end, (), (), ())))] = brushed(
        ends
    )
    at.run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        expected = cd.pareto(conn=conn, filters=Filters(first, last))
        by_month = cd.monthly_trend(conn=conn, filters=YEAR)
    _, reasons = vega(at, "defeats_brushed_reasons")
    assert reasons["reason"].tolist() == [ZH_REASONS.get(r, "未填写原因") for r in expected["reason"]]
    assert reasons["count"].tolist() == expected["count"].tolist()
    # the same defeats as the trend's bars of those months
    months = by_month[(by_month["month"] >= f"{first:%Y-%m}") & (by_month["month"] <= f"{last:%Y-%m}")]
    assert int(reasons["count"].sum()) == int(months["count"].sum())
    n = f"{int(expected['count'].sum()):,}"
    assert f"所选月份 {first} 至 {last}：{n} 条战败" in [c.value for c in at.caption]
    # the rest of the page keeps the period's figures
    assert at.dataframe[0].value["战败数"].sum() == cd_total(demo_db)


def cd_total(demo_db) -> int:
    with demo_db.engine.connect() as conn:
        return int(cd.pareto(conn=conn, filters=YEAR)["count"].sum())


def test_page_a_held_brush_survives_a_language_switch_and_a_filter_change(demo_db):
    """The brush belongs to the chart it was drawn on: after a language switch or a filter change the chart is
    new, without a brush, and the reasons are the whole period's again (never a crash, never a stale filter).
    (AppTest cannot switch the language of a page with translated select widgets; the browser test does.)"""
    held = {
        "defeats_brush.zh." + "-".join(map(str, (YEAR.start, YEAR.end, (), (), ()))): brushed(
            ("2026-02-10", "2026-02-20")
        )
    }
    at = page(demo_db.url, YEAR)
    at.session_state[next(iter(held))] = held[next(iter(held))]
    at.run()
    assert any(c.value.startswith("所选月份 2026-02-01 至 2026-02-28") for c in at.caption)
    at.session_state["filters"] = Filters(YEAR.start, YEAR.end, region_ids=(1,))
    at.run()
    assert not at.exception
    assert any(c.value.startswith("整个期间 2025-07-01 至 2026-06-30") for c in at.caption)
    # the same brush held from the Chinese page, now in English
    at = AppTest.from_file(PAGE, default_timeout=120)  # one run: AppTest formats options in Chinese
    at.secrets["database_url"] = demo_db.url
    at.session_state["filters"], at.session_state["lang"] = YEAR, "en"
    for k, v in held.items():
        at.session_state[k] = v
    sign_in(at, demo_db.url, "analyst").run()
    assert not at.exception
    assert any(c.value.startswith("The whole period, 2025-07-01 to 2026-06-30") for c in at.caption)
    spec, _ = vega(at, "defeats_brush.en")
    assert spec["encoding"]["x"]["axis"]["format"] == "%b %Y"
