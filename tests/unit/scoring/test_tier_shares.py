"""Tier shares and the tie-break (issue 12 items 10 and 11).

- Target against actual share per tier and how many a trigger forced (``core.scoring.tier_shares``), on 分级结果 and
  in the lab's preview, checked against plain SQL / pandas on the demo's rows.
- The tie-break (``tiering.tie_break`` in ``core.scoring.scheme``): on the car sales report 44% of the owners tie at
  the lowest score, so without it 流失风险 (20%) is nearly empty and the lab warns; with it every tier is
  within ``TIE_TOLERANCE`` of its cut-off (checked against a pandas sort).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import import_real
from streamlit.testing.v1 import AppTest

from core.scoring import publishing
from core.scoring.feature_inputs import load_feature_inputs
from core.scoring.features import compute_features
from core.scoring.lab import Published, preview
from core.scoring.publishing import published_shares
from core.scoring.scheme import Scorer, check, preset, validate
from core.scoring.tier_shares import TIE_TOLERANCE, tier_shares
from core.storage.db import open_database
from dashboard.i18n import TEXT
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[3] / "dashboard" / "app.py")
CAR_AS_OF = dt.date(2023, 12, 31)


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def app(url: str, page: str, role: str = "manager") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, role).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with {column}")


# ---- item 10: target and actual share, by trigger ------------------------------------------------------


def expected_published_shares(conn) -> pd.DataFrame:
    """Independent: the owners' assignments in force, by plain SQL, counted with pandas."""
    rows = pd.read_sql(
        sa.text(
            "SELECT a.tier, a.rule FROM tier_assignments a JOIN scoring_schemes s ON s.id = a.scheme_id "
            "WHERE s.population = 'owners' AND a.effective_to IS NULL"
        ),
        conn,
    )
    params = conn.execute(
        sa.text("SELECT params FROM scoring_schemes WHERE population = 'owners' AND status = 'published'")
    ).scalar_one()
    params = params if isinstance(params, dict) else json.loads(params)
    labels = params["labels"]
    customers = rows["tier"].value_counts().reindex(labels, fill_value=0)
    forced = rows[rows["rule"].notna()]["tier"].value_counts().reindex(labels, fill_value=0)
    return pd.DataFrame(
        {
            "tier": labels,
            "target": [c / 100 for c in params["tiering"]["cutoffs"]],
            "customers": customers.to_numpy(),
            "share": customers.to_numpy() / len(rows),
            "by_trigger": forced.to_numpy(),
            "by_score": (customers - forced).to_numpy(),
        }
    )


def test_published_shares_are_the_assignments_in_force(demo_db):
    with demo_db.engine.connect() as conn:
        got = published_shares(conn=conn, population="owners")
        want = expected_published_shares(conn)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # the demo's scheme is labelled 20/60/20 while triggers put more in 流失风险: the table says why
    assert got["by_trigger"].sum() > 0
    assert got["share"].sum() == pytest.approx(1.0)
    assert (got["by_trigger"] + got["by_score"] == got["customers"]).all()


def test_published_shares_on_every_backend(engine):
    """The GROUP BY runs on SQLite, PostgreSQL and MariaDB alike (a small demo with its tier history)."""
    from core.demo.generator import generate

    generate(engine, customers=120, seed=3, as_of=dt.date(2026, 6, 30))
    with engine.connect() as conn:
        got = published_shares(conn=conn, population="owners")
        want = expected_published_shares(conn)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_nothing_published_has_no_shares(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with engine.connect() as conn:
        assert published_shares(conn=conn, population="owners") is None
    engine.dispose()


def test_the_tiers_page_shows_target_actual_and_by_trigger(demo_db):
    at = app(demo_db.url, "../pages/tiers.py", role="analyst")
    with demo_db.engine.connect() as conn:
        want = expected_published_shares(conn)
    got = table_with(at, "目标占比")
    assert got["级别"].tolist() == want["tier"].tolist()
    assert np.allclose(got["目标占比"].to_numpy(dtype=float), want["target"].to_numpy())
    assert np.allclose(got["实际占比"].to_numpy(dtype=float), want["share"].to_numpy())
    assert got["客户数"].tolist() == want["customers"].tolist()
    assert got["触发规则强制"].tolist() == want["by_trigger"].tolist()
    assert got["按得分"].tolist() == want["by_score"].tolist()
    churn = want.set_index("tier").loc["流失风险"].to_dict()
    line = f"流失风险：{int(churn['customers']):,} 名中 {int(churn['by_trigger']):,} 名由触发规则强制归入"
    assert any(line in c.value for c in at.caption), [c.value for c in at.caption]


def test_preview_shares_match_the_draft_scoring(demo_db):
    with demo_db.engine.connect() as conn:
        features = compute_features(load_feature_inputs(conn=conn), population="owners", as_of=demo_db.as_of)
    spec = preset("value_3")
    scorer = Scorer(spec).fit(features)
    p = preview(scorer, spec, Published.none(len(features)))
    # independent: tiers by score alone from a pandas rank of the scores, then the triggers' flags
    scored = scorer.score(spec)
    frame = pd.DataFrame({"tier": np.array(spec["labels"])[scored.tier], "forced": scored.rule >= 0})
    counts = frame["tier"].value_counts().reindex(spec["labels"], fill_value=0)
    forced = frame[frame["forced"]]["tier"].value_counts().reindex(spec["labels"], fill_value=0)
    assert p.shares["customers"].tolist() == counts.tolist()
    assert p.shares["by_trigger"].tolist() == forced.tolist()
    assert p.shares["target"].tolist() == [0.2, 0.6, 0.2]
    score = pd.Series(scored.score.astype(np.float64))
    n = len(score)
    best_first = score.rank(method="max", ascending=False)  # ties all take the higher tier's rank
    by_score = np.select([best_first <= round(0.2 * n), best_first <= round(0.8 * n)], [0, 1], 2)
    assert np.allclose(p.shares["score_share"], np.bincount(by_score, minlength=3) / n)


# ---- item 11: the tie-break ------------------------------------------------------------------------------


def tiny_spec(tie_break: str | None) -> dict:
    spec = {
        "population": "owners",
        "labels": ["高", "中", "低"],
        "triggers": [],
        "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]},
        "dimensions": {"a": {"weight": 100}, "b": {"weight": 0}},
    }
    if tie_break:
        spec["tiering"]["tie_break"] = tie_break
    return spec


# ten customers (ids 10..19), six tied at the lowest score of a; b orders some of the tied
TINY = pd.DataFrame(
    {"a": [9.0, 8, 7, 6, 0, 0, 0, 0, 0, 0], "b": [0.0, 0, 0, 0, 1, 5, 5, 3, 2, 0]}, index=range(10, 20)
)


@pytest.mark.parametrize(
    "tie_break, expected",
    [
        # default: every tied customer goes to the higher tier, 低 holds nobody (existing behaviour)
        (None, ["高", "高", "中", "中", "中", "中", "中", "中", "中", "中"]),
        # by b (higher first), then id: the tied are 15,16 (b 5), 17 (3), 18 (2), 14 (1), 19 (0)
        ("b", ["高", "高", "中", "中", "低", "中", "中", "中", "中", "低"]),
        # a tie-break dimension that is tied too: the customer id decides (smaller first), 18 and 19 go down
        ("a", ["高", "高", "中", "中", "中", "中", "中", "中", "低", "低"]),
    ],
)
def test_the_tie_break_orders_tied_customers_by_a_dimension_then_id(tie_break, expected):
    r = Scorer(tiny_spec(tie_break)).fit(TINY).score()
    assert np.array(r.labels)[r.tier].tolist() == expected


def test_without_a_tie_break_a_scheme_scores_as_before():
    """Schemes saved before the setting (no key) and with ``None`` tier exactly as the threshold rule says."""
    for spec in (
        tiny_spec(None),
        {**tiny_spec(None), "tiering": {**tiny_spec(None)["tiering"], "tie_break": None}},
    ):
        r = Scorer(spec).fit(TINY).score()
        assert (r.tier == (r.score < r.thresholds[0]).astype(int) + (r.score < r.thresholds[1])).all()


def test_the_tie_break_must_be_a_dimension_of_the_scheme():
    spec = tiny_spec("recency_days")
    assert [(p.field, p.code) for p in validate(spec)] == [("tiering", "tie_break_unknown")]
    assert "problem.tie_break_unknown" in TEXT
    check(tiny_spec("b"))


def test_the_tie_break_is_saved_with_the_scheme(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 's.sqlite'}")
    spec = preset("value_3")
    spec["tiering"]["tie_break"] = "amount_12m"
    saved = publishing.save_draft(engine, spec, name="同分按金额", actor="分析师")
    with engine.connect() as conn:
        assert (
            publishing.get_version(conn=conn, scheme_id=saved.id).params["tiering"]["tie_break"]
            == "amount_12m"
        )
    engine.dispose()


@pytest.fixture(scope="module")
def car_url(tmp_path_factory):
    """The car sales report imported (customers by phone, every row a new-car sale); nothing published."""
    path = tmp_path_factory.mktemp("car-ties") / "car.sqlite"
    url = f"sqlite:///{path}"
    engine = open_database(url)
    import_real(engine, "customers", "car-sales-report/car_data.csv", "car-sales.customers.json")
    import_real(engine, "purchases", "car-sales-report/car_data.csv", "car-sales.purchases.json")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def car_features(car_url):
    engine = open_database(car_url)
    with engine.connect() as conn:
        features = compute_features(load_feature_inputs(conn=conn), population="owners", as_of=CAR_AS_OF)
    engine.dispose()
    return features


def with_tie_break(dim: str) -> dict:
    spec = copy.deepcopy(preset("value_3"))
    spec["dimensions"].setdefault(dim, {"weight": 0, "normalisation": "percentile", "direction": "lower"})
    spec["tiering"]["tie_break"] = dim
    return spec


def test_ties_empty_the_churn_tier_of_the_car_sales_without_a_tie_break(car_features):
    spec = preset("value_3")
    scored = Scorer(spec).fit(car_features).score()
    lowest = (scored.score == scored.score.min()).mean()
    assert lowest > 0.4  # the 44% of owners tied at the lowest score
    shares = tier_shares(scored.tier, scored.rule >= 0, scored.labels, spec["tiering"], scored.score_tier)
    churn = shares.set_index("tier").loc["流失风险"]
    assert churn["score_share"] < 0.01 and churn["share"] < 0.01
    assert shares["ties_off"].tolist() == [False, True, True]


@pytest.mark.parametrize("dim", ["recency_days", "amount_12m"])
def test_with_the_tie_break_every_car_sales_tier_is_near_its_cut_off(car_features, dim):
    spec = with_tie_break(dim)
    scorer = Scorer(spec).fit(car_features)
    scored = scorer.score()
    shares = tier_shares(scored.tier, scored.rule >= 0, scored.labels, spec["tiering"], scored.score_tier)
    assert (abs(shares["score_share"] - shares["target"]) <= TIE_TOLERANCE).all(), shares
    assert (abs(shares["share"] - shares["target"]) <= TIE_TOLERANCE).all(), shares
    assert not shares["ties_off"].any()
    # independent: sort by score (best first), the tie-break dimension's normalised value (best first), id
    order = pd.DataFrame(
        {
            "score": scored.score.astype(np.float64),
            "tb": scorer.matrix_[scorer.dimensions_.index(dim)].astype(np.float64),
            "id": car_features.index.to_numpy(),
        }
    ).sort_values(["score", "tb", "id"], ascending=[False, False, True])
    n = len(order)
    position = np.empty(n, dtype=np.int64)
    position[order.index.to_numpy()] = np.arange(n)
    want = np.select([position < round(0.2 * n), position < round(0.8 * n)], [0, 1], 2)
    assert (scored.score_tier == want).all()


def test_the_lab_warns_about_ties_and_its_tie_break_brings_tiers_to_their_cut_offs(car_url, tmp_path):
    at = app(car_url, "../pages/lab.py")
    warnings = [w.value for w in at.warning]
    assert any("同分使这些级别" in w and "流失风险" in w for w in warnings), warnings
    shares = table_with(at, "按得分占比（触发前）")
    assert shares["按得分占比（触发前）"].iloc[-1] < 0.01
    at.selectbox(key="lab_tie_break_owners").set_value("recency_days").run()
    assert not at.exception, at.exception
    assert not any("同分使这些级别" in w.value for w in at.warning)
    shares = table_with(at, "按得分占比（触发前）")
    got = shares["按得分占比（触发前）"].to_numpy(dtype=float)
    assert np.abs(got - shares["目标占比"].to_numpy(dtype=float)).max() <= TIE_TOLERANCE
    # saved with the draft
    at.text_input(key="lab_name_owners").set_value("同分按最近消费").run()
    at.button(key="lab_save_owners").click().run()
    assert not at.exception, at.exception
    engine = open_database(car_url)
    with engine.connect() as conn:
        last = publishing.versions(conn=conn, population="owners")[0]
    engine.dispose()
    assert last.params["tiering"]["tie_break"] == "recency_days"
    assert last.params["tiering"]["cutoffs"] == [20, 60, 20]


def test_loading_a_scheme_with_a_tie_break_sets_the_lab_control(demo_db, demo_copy):
    url = demo_copy
    engine = open_database(url)
    spec = preset("value_3")
    spec["tiering"]["tie_break"] = "purchases_12m"
    v = publishing.save_draft(engine, spec, name="同分按次数", actor="分析师")
    with engine.connect() as conn:
        features = compute_features(load_feature_inputs(conn=conn), population="owners", as_of=demo_db.as_of)
    scored = Scorer(spec).fit(features).score()
    publishing.write_assignments(engine, v.id, publishing.assignments_frame(scored, spec), actor="经理")
    engine.dispose()
    at = app(url, "../pages/lab.py")
    assert at.selectbox(key="lab_tie_break_owners").value == "purchases_12m"
