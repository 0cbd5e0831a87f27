"""Monthly cohorts and the customers behind a figure (funnel and defeat pages), against plain SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.access.privacy import mask_name, mask_phone
from core.analytics import drilldown
from core.analytics import funnel as fu
from core.analytics.overview import Filters
from core.storage.models import FUNNEL_STAGES
from tests.pii import unseal_frame
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
JUNE = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
ORDER = FUNNEL_STAGES.index("order")


def _where(f: Filters, alias: str = "l") -> tuple[str, dict]:
    where = [f"{alias}.created_at >= :s", f"{alias}.created_at < :e"]
    params: dict = {"s": f.start_dt, "e": f.end_dt}
    for name, col, ids in (
        ("st", f"{alias}.store_id", f.store_ids),
        ("ch", f"{alias}.channel_id", f.channel_ids),
        ("rg", "c.region_id", f.region_ids),
    ):
        if ids:
            where.append(f"{col} IN ({', '.join(f':{name}{i}' for i in range(len(ids)))})")
            params.update({f"{name}{i}": v for i, v in enumerate(ids)})
    return " AND ".join(where), params


@pytest.mark.parametrize(
    "f",
    [
        JUNE,
        Filters(dt.date(2026, 2, 10), dt.date(2026, 6, 30), store_ids=(1,)),
        Filters(JUNE.start, JUNE.end, channel_ids=(1, 2)),
    ],
    ids=str,
)
def test_cohorts_against_plain_sql(demo_db, f):
    cf = fu.cohort_filters(f)
    assert cf.start == dt.date(2025, 7, 1) and cf.end == f.end
    with demo_db.engine.connect() as conn:
        got = fu.cohorts_from_leads(fu.period_leads(conn=conn, filters=cf))
        where, params = _where(cf)
        rows = conn.execute(
            sa.text(
                "SELECT substr(l.created_at, 1, 7) AS m, l.stage_reached, COUNT(*) FROM leads l "
                f"JOIN customers c ON c.id = l.customer_id WHERE {where} GROUP BY m, l.stage_reached"
            ),
            params,
        ).all()
    per = pd.DataFrame(rows, columns=["m", "stage", "n"])
    months = sorted(per["m"].unique())
    assert [m.strftime("%Y-%m") for m in dict.fromkeys(got["month"])] == months
    for m in months:
        part = per[per["m"] == m]
        expected = [int(part.loc[part["stage"] >= i, "n"].sum()) for i in range(len(FUNNEL_STAGES))]
        mine = got[got["month"].map(lambda d: d.strftime("%Y-%m")) == m]
        assert mine["count"].tolist() == expected
        step = [None] + [expected[i] / expected[i - 1] if expected[i - 1] else None for i in range(1, 8)]
        for a, b in zip(mine["step_conversion"].tolist(), step, strict=True):
            assert (b is None and pd.isna(a)) or a == pytest.approx(b)


def test_cohorts_of_no_leads_is_empty():
    assert fu.cohorts_from_leads(pd.DataFrame({"created_at": pd.to_datetime([]), "stage_reached": []})).empty


@pytest.mark.parametrize(
    ("stage", "stopped", "dimension", "group"),
    [
        ("order", False, None, None),
        ("visit", True, None, None),
        ("lead", False, "channel", 2),
        ("quote", False, "grade", "H"),
    ],
)
def test_segment_lead_ids_against_plain_sql(demo_db, stage, stopped, dimension, group):
    f = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    i = FUNNEL_STAGES.index(stage)
    where, params = _where(f)
    where += f" AND l.stage_reached {'=' if stopped else '>='} {i}"
    if dimension:
        where += f" AND l.{ {'channel': 'channel_id', 'grade': 'grade'}[dimension] } = :g"
        params["g"] = group
    with demo_db.engine.connect() as conn:
        leads = fu.period_leads(conn=conn, filters=f)
        expected = [
            r[0]
            for r in conn.execute(
                sa.text(
                    f"SELECT l.id FROM leads l JOIN customers c ON c.id = l.customer_id WHERE {where} "
                    "ORDER BY l.created_at DESC, l.id DESC"
                ),
                params,
            )
        ]
    assert expected, "the case should select some leads"
    assert (
        fu.segment_lead_ids(leads, stage=stage, stopped=stopped, dimension=dimension, group=group) == expected
    )


def test_lead_customers_masks_and_keeps_the_order(demo_db):
    with demo_db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM leads ORDER BY id DESC LIMIT 30"))]
        masked = drilldown.lead_customers(conn=conn, lead_ids=ids)
        clear = drilldown.lead_customers(conn=conn, lead_ids=ids, show_pii=True, lang="en")
        truth = (
            pd.read_sql(
                sa.text(
                    "SELECT l.id AS lead_id, c.id AS customer_id, c.name, c.phone, r.name_en AS region, "
                    "l.stage_reached FROM leads l JOIN customers c ON c.id = l.customer_id "
                    "LEFT JOIN regions r ON r.id = c.region_id WHERE l.id IN ("
                    + ",".join(map(str, ids))
                    + ")"
                ),
                conn,
            )
            .pipe(unseal_frame)
            .set_index("lead_id")
            .loc[ids]
        )
    assert masked["lead_id"].tolist() == ids == clear["lead_id"].tolist()
    assert clear["customer_id"].tolist() == truth["customer_id"].tolist()
    assert clear["name"].tolist() == truth["name"].tolist()
    assert clear["region"].fillna("").tolist() == truth["region"].fillna("").tolist()
    assert masked["name"].tolist() == [mask_name(n) for n in truth["name"]]
    assert masked["phone"].tolist() == [mask_phone(p) for p in truth["phone"]]
    assert clear["stage"].tolist() == [FUNNEL_STAGES[s] for s in truth["stage_reached"]]
    assert all(p != q for p, q in zip(masked["phone"], truth["phone"], strict=True) if q)


# ---------------------------------------------------------------------------------------------------------------
# pages


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def page(name: str, url: str, f: Filters, lang: str = "zh", role: str = "analyst") -> AppTest:
    """The page for a signed-in ``role`` (analysts see masked personal data)."""
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    return sign_in(at, url, role).run()


# AppTest does not expose a dataframe's key: find each table by a column only it has
MARKERS = {
    "cohort_table": ("创建月份", "Month created"),
    "funnel_drill_table": ("线索编号", "Lead id"),
    "defeats_drill_table": ("线索编号", "Lead id"),
    "breakdown_table": ("分组", "Group"),
}


def frame(at: AppTest, key: str) -> pd.DataFrame:
    (found,) = [d.value for d in at.dataframe if set(MARKERS[key]) & set(d.value.columns)]
    return found


def test_funnel_page_cohorts_and_default_drilldown(demo_db):
    at = page("funnel.py", demo_db.url, JUNE)
    assert not at.exception
    cohorts = frame(at, "cohort_table")
    with demo_db.engine.connect() as conn:
        per_month = dict(
            conn.execute(
                sa.text(
                    "SELECT substr(created_at, 1, 7), COUNT(*) FROM leads WHERE created_at >= :s AND "
                    "created_at < :e GROUP BY 1"
                ),
                {"s": dt.datetime(2025, 7, 1), "e": JUNE.end_dt},
            ).all()
        )
        ordered = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT customer_id FROM leads WHERE created_at >= :s AND created_at < :e AND "
                    "stage_reached >= :o ORDER BY created_at DESC, id DESC"
                ),
                {"s": JUNE.start_dt, "e": JUNE.end_dt, "o": ORDER},
            )
        ]
    assert dict(zip(cohorts["创建月份"], cohorts["线索数"], strict=True)) == per_month
    assert list(cohorts.columns[2:]) == [
        "首次接触",
        "需求分析",
        "邀约到店",
        "试乘试驾",
        "报价谈判",
        "签约订车",
        "交车",
    ]
    drill = frame(at, "funnel_drill_table")
    assert drill["客户编号"].tolist() == ordered  # default: the leads that ordered, newest first
    assert all("*" in n for n in drill["姓名"])


def test_funnel_page_drilldown_by_stage_and_group(demo_db):
    at = page("funnel.py", demo_db.url, JUNE)
    at.selectbox(key="funnel_drill_stage.zh").set_value("visit")
    at.selectbox(key="funnel_drill_mode.zh").set_value("stopped")
    at.selectbox(key="funnel_drill_group_channel.zh").set_value(0).run()  # the first channel of the chart
    assert not at.exception
    first_channel = frame(at, "breakdown_table")["分组"].iloc[0]
    with demo_db.engine.connect() as conn:
        expected = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT l.id FROM leads l JOIN channels ch ON ch.id = l.channel_id WHERE l.created_at >= :s "
                    "AND l.created_at < :e AND l.stage_reached = :v AND ch.name = :n "
                    "ORDER BY l.created_at DESC, l.id DESC"
                ),
                {"s": JUNE.start_dt, "e": JUNE.end_dt, "v": FUNNEL_STAGES.index("visit"), "n": first_channel},
            )
        ]
    drill = frame(at, "funnel_drill_table")
    assert drill["线索编号"].tolist() == expected
    assert set(drill["最远阶段"]) <= {"邀约到店"}
    assert at.markdown[-1].value == f"**邀约到店 · 停在该阶段的线索（未进入下一阶段） · {first_channel}**"


def test_a_choice_survives_the_language_switch(demo_db):
    at = page("funnel.py", demo_db.url, JUNE)
    at.selectbox(key="funnel_dimension.zh").set_value("grade").run()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    box = at.selectbox(key="funnel_dimension.en")
    assert box.value == "grade"
    # a new widget for English, drawn with the chosen option: the browser shows "Lead grade"
    assert box.options[box.proto.default] == "Lead grade"
    assert frame(at, "breakdown_table")["Group"].tolist()[:2] == ["H", "A"]


def test_defeats_page_drilldown_by_reason(demo_db):
    f = Filters(dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    at = page("defeats.py", demo_db.url, f)
    at.selectbox(key="defeats_drill_reason.zh").set_value("service").run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        expected = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT lead_id FROM defeats WHERE at >= :s AND at < :e AND reason = 'service' "
                    "AND (approval IS NULL OR approval <> 'returned') ORDER BY at DESC, id DESC"
                ),
                {"s": f.start_dt, "e": f.end_dt},
            )
        ]
    assert expected
    drill = frame(at, "defeats_drill_table")
    assert drill["线索编号"].tolist() == expected[: drilldown.LIMIT]
    assert at.markdown[-1].value == "**战败原因：服务体验**" or "**战败原因：服务体验**" in [
        m.value for m in at.markdown
    ]
