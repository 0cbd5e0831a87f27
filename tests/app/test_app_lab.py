"""The scoring lab page through the real Streamlit runtime (AppTest) on the small demo database.

Every figure the page shows is checked against an independent computation: ``core.scoring.lab_data.load_lab_data`` +
``core.scoring.scheme.Scorer`` + ``core.scoring.lab.preview`` on a spec written out by hand here, and for the transition
matrix also a ``pandas.crosstab`` of the tiers in force in the database against the draft's tiers.
Tests that write (save, publish, roll back, refused input) run on a fresh copy of the demo database.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from core.scoring.features import DIMENSIONS
from core.scoring.lab import LabData, Preview, preview
from core.scoring.lab_data import load_lab_data
from core.scoring.publishing import get_version, versions
from core.scoring.scheme import Scorer, preset
from core.storage.db import open_database
from dashboard.safe_text import plain
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
LAB = "../pages/lab.py"
MOVED_ZH = "升级 {up} 人，降级 {down} 人，不变 {same} 人"
MOVED_EN = "{up} move up, {down} move down, {same} stay"
TIER_EN = {"高价值": "High value", "普通": "Normal", "流失风险": "Churn risk"}


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@dataclass
class FreshDatabase:
    url: str
    engine: Engine


@pytest.fixture
def fresh_db(demo_db, tmp_path) -> Iterator[FreshDatabase]:
    """A private copy of the session's demo database (SQLite backup API: WAL content included)."""
    src_path = demo_db.url.removeprefix("sqlite:///")
    dst_path = tmp_path / "lab.sqlite"
    with closing(sqlite3.connect(src_path)) as src, closing(sqlite3.connect(dst_path)) as dst:
        src.backup(dst)
    url = f"sqlite:///{dst_path}"
    eng = open_database(url)
    yield FreshDatabase(url, eng)
    eng.dispose()


# ---- helpers ----------------------------------------------------------------------------------------


def open_lab(url: str, lang: str = "zh", role: str = "manager") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = lang
    sign_in(at, url, role)
    at.run()
    assert not at.exception
    at.switch_page(LAB).run()
    assert not at.exception, at.exception
    return at


def owners_spec(**weights: float) -> dict[str, Any]:
    """The demo's published owners scheme (preset value_3) with other weights, written out by hand."""
    spec = preset("value_3")
    spec["dimensions"] = {
        d: {"weight": w, "normalisation": "percentile", "direction": DIMENSIONS[d].direction}
        for d, w in weights.items()
        if w
    }
    return spec


def expected(engine: Engine, spec: dict[str, Any]) -> tuple[LabData, Preview]:
    data = load_lab_data(engine, population=spec["population"])
    return data, preview(Scorer(spec).fit(data.features), spec, data.published)


def moved_text(p: Preview, template: str = MOVED_ZH) -> str:
    return template.format(up=f"{len(p.moved_up):,}", down=f"{len(p.moved_down):,}", same=f"{p.unchanged:,}")


def markdowns(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def frame_with(at: AppTest, column: str, nth: int = 0) -> pd.DataFrame:
    frames = [f for f in map(_value, at.dataframe) if f is not None and column in f.columns]
    assert len(frames) > nth, f"no dataframe #{nth} with column {column!r}"
    return frames[nth]


def _value(element: Any) -> pd.DataFrame | None:
    try:
        return element.value
    except (KeyError, TypeError):  # AppTest cannot decode a categorical index (the versions' comparison)
        return None


def heatmap(at: AppTest) -> dict[str, Any]:
    """z (decoded from Plotly's typed-array encoding), x, y and text of the lab's transition heatmap."""
    charts = [c for c in at.get("plotly_chart") if getattr(c, "key", None) == "lab_transition"]
    assert len(charts) == 1
    trace = json.loads(charts[0].proto.spec)["data"][0]
    assert trace["type"] == "heatmap"
    z = trace["z"]
    if isinstance(z, dict):  # {"dtype": "i1", "bdata": base64, "shape": "3, 3"}
        shape = tuple(int(s) for s in str(z["shape"]).split(","))
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape)
    return {"z": np.asarray(z, dtype=np.int64), "x": trace["x"], "y": trace["y"], "text": trace["text"]}


def in_force(engine: Engine, population: str) -> pd.DataFrame:
    """customer_id, tier, scheme_id of the assignments in force, read straight from the database."""
    with engine.connect() as conn:
        return pd.read_sql(
            sa.text(
                "SELECT a.customer_id, a.tier, a.scheme_id FROM tier_assignments a "
                "JOIN scoring_schemes s ON s.id = a.scheme_id "
                "WHERE a.effective_to IS NULL AND s.population = :p ORDER BY a.customer_id"
            ),
            conn,
            params={"p": population},
        )


def schemes(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            sa.text("SELECT id, population, version, name, status FROM scoring_schemes ORDER BY id"), conn
        )


def crosstab(engine: Engine, p: Preview, population: str) -> np.ndarray:
    """Published tier (rows) × draft tier (columns) counted by pandas from the database's assignments."""
    pub = in_force(engine, population)
    draft = p.scored.frame()[["customer_id", "tier"]]
    both = draft.merge(pub, on="customer_id", suffixes=("_new", "_old"))
    assert len(both) == len(draft)  # every scored customer has a published tier in the demo
    labels = p.scored.labels
    table = pd.crosstab(
        pd.Categorical(both["tier_old"], categories=labels),
        pd.Categorical(both["tier_new"], categories=labels),
        dropna=False,
    )
    return table.to_numpy()


def flat(node: Any) -> list[Any]:
    """The page's elements in document order (depth first)."""
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out.extend(flat(child))
    return out


def right_after(at: AppTest, key: str) -> list[Any]:
    """The elements that directly follow the widget ``key`` in its column (its inline messages)."""
    nodes = flat(at.main)
    i = next(i for i, n in enumerate(nodes) if getattr(n, "key", None) == key)
    return nodes[i + 1 :]


def assert_counts_table(at: AppTest, p: Preview, tier: str = "级别", customers: str = "客户数") -> None:
    counts = frame_with(at, customers)
    assert counts[tier].tolist() == p.counts["tier"].tolist()
    assert counts[customers].tolist() == p.counts["customers"].tolist()
    assert counts.iloc[:, 3].tolist() == p.counts["published"].tolist()  # 当前发布
    assert counts.iloc[:, 4].tolist() == p.counts["change"].tolist()  # 变化
    assert np.allclose(counts.iloc[:, 2].to_numpy(dtype=float), p.counts["share"].to_numpy())


# ---- preview -----------------------------------------------------------------------------------------


def test_unchanged_draft_previews_zero_movers(demo_db):
    at = open_lab(demo_db.url)
    assert at.title[0].value == "评分实验室"
    assert at.slider(key="lab_w_amount_12m_owners").value == 40
    assert at.slider(key="lab_w_purchases_12m_owners").value == 30
    assert at.slider(key="lab_w_repurchase_rate_owners").value == 30
    data, p = expected(demo_db.engine, owners_spec(amount_12m=40, purchases_12m=30, repurchase_rate=30))
    assert len(p.moved_up) == len(p.moved_down) == 0
    assert moved_text(p) in markdowns(at)
    assert f"不变 {len(data.features):,} 人" in moved_text(p)
    assert_counts_table(at, p)
    assert (frame_with(at, "变化")["变化"] == 0).all()
    hm = heatmap(at)
    assert np.array_equal(hm["z"], np.diag(p.counts["customers"].to_numpy()))
    assert any("没有客户换级" in i.value for i in at.info)
    assert not at.error and not at.warning


def test_weight_slider_moves_customers_and_the_preview_agrees(demo_db):
    at = open_lab(demo_db.url)
    at.slider(key="lab_w_amount_12m_owners").set_value(20).run()
    at.slider(key="lab_w_satisfaction_owners").set_value(20).run()
    assert not at.exception
    assert any(c.value == "权重合计 100%" for c in at.caption)
    spec = owners_spec(amount_12m=20, purchases_12m=30, repurchase_rate=30, satisfaction=20)
    data, p = expected(demo_db.engine, spec)
    assert len(p.moved_up) + len(p.moved_down) > 0, "the demo data should move someone"

    assert moved_text(p) in markdowns(at)
    assert_counts_table(at, p)
    hm = heatmap(at)
    assert hm["x"] == hm["y"] == p.scored.labels
    assert np.array_equal(hm["z"], p.transition.to_numpy())
    assert np.array_equal(hm["z"], crosstab(demo_db.engine, p, "owners"))
    assert hm["text"] == [[f"{v:,}" for v in row] for row in hm["z"].tolist()]

    ids = data.features.index.to_numpy()
    up, down = frame_with(at, "当前级别", 0), frame_with(at, "当前级别", 1)
    assert up["客户编号"].tolist() == ids[p.moved_up][:200].tolist()
    assert down["客户编号"].tolist() == ids[p.moved_down][:200].tolist()
    order = {x: i for i, x in enumerate(p.scored.labels)}
    assert all(order[a] > order[b] for a, b in zip(up["当前级别"], up["新级别"], strict=True))
    assert all(order[a] < order[b] for a, b in zip(down["当前级别"], down["新级别"], strict=True))
    assert up["主要原因（维度：得分变化）"].str.len().gt(0).all()
    assert not at.error and not at.warning


def test_weights_not_summing_to_100_rescale_the_preview_and_block_saving(fresh_db):
    at = open_lab(fresh_db.url)
    before = len(schemes(fresh_db.engine))
    at.slider(key="lab_w_amount_12m_owners").set_value(50).run()
    assert any(c.value == "权重合计 110%" for c in at.caption)
    assert any("折算为 100%" in i.value for i in at.info)
    assert any(e.value == "权重合计为 110.0%，需要正好 100%。" for e in at.error)
    assert at.button(key="lab_save_owners").disabled
    assert at.button(key="lab_publish_owners").disabled
    scaled = {
        k: w * 100.0 / 110 for k, w in {"amount_12m": 50, "purchases_12m": 30, "repurchase_rate": 30}.items()
    }
    _, p = expected(fresh_db.engine, owners_spec(**scaled))
    assert moved_text(p) in markdowns(at)
    assert_counts_table(at, p)
    assert np.array_equal(heatmap(at)["z"], p.transition.to_numpy())
    at.text_input(key="lab_name_owners").set_value("110%").run()  # a name does not unblock them
    assert at.button(key="lab_save_owners").disabled and at.button(key="lab_publish_owners").disabled
    assert not at.exception
    assert len(schemes(fresh_db.engine)) == before
    assert not [b for b in at.button if b.key == "lab_publish_confirm"]


@pytest.mark.parametrize(
    ("key", "value", "message", "next_to"),
    [
        ("lab_labels_owners", "A / A / B", "级别名称不能重复。", "lab_labels_owners"),
        ("lab_cutoffs_owners", "50 / 30", "占比的个数要与级别个数（3）相同。", "lab_cutoffs_owners"),
        (
            "lab_cutoffs_owners",
            "50 / 30 / 30",
            "各级占比合计为 110.0%，需要正好 100%。",
            "lab_cutoffs_owners",
        ),
        ("lab_thresholds_owners", "40 / 70", "阈值要从高到低严格递减。", "lab_thresholds_owners"),
        ("weights", 0, "至少要有一个维度的权重大于 0。", "lab_w_complaints_open_owners"),
    ],
    ids=["duplicate-labels", "cutoffs-count", "cutoffs-sum", "thresholds-not-decreasing", "weights-all-zero"],
)
def test_bad_input_is_explained_next_to_its_control_and_nothing_is_saved(
    fresh_db, key, value, message, next_to
):
    at = open_lab(fresh_db.url)
    before = schemes(fresh_db.engine)
    assignments_before = len(in_force(fresh_db.engine, "owners"))
    if key == "lab_thresholds_owners":
        at.radio(key="lab_method_owners").set_value("threshold").run()
        assert not at.error  # the default thresholds 70 / 40 are fine
    if key == "weights":
        for s in at.slider:
            if s.key.startswith("lab_w_") and s.value:
                s.set_value(0)
        at.run()
    else:
        at.text_input(key=key).set_value(value).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert message in errors, errors
    # the message sits right under its control (at most the weights' total caption in between)
    near = [n.value for n in right_after(at, next_to)[:2] if type(n).__name__ == "Error"]
    assert message in near, near
    # no preview from an invalid spec: a warning that repeats the problem instead
    assert any(message in w.value for w in at.warning)
    assert not [m for m in markdowns(at) if m.startswith("升级 ")]
    at.text_input(key="lab_name_owners").set_value("坏方案").run()
    assert at.button(key="lab_save_owners").disabled and at.button(key="lab_publish_owners").disabled
    assert not at.exception
    assert not [e for e in at.success]
    pd.testing.assert_frame_equal(schemes(fresh_db.engine), before)
    assert len(in_force(fresh_db.engine, "owners")) == assignments_before


# ---- save, publish, roll back ------------------------------------------------------------------------


def test_save_draft_needs_a_name_then_creates_a_draft_version(fresh_db):
    at = open_lab(fresh_db.url)
    before = schemes(fresh_db.engine)
    at.slider(key="lab_w_amount_12m_owners").set_value(30).run()
    at.slider(key="lab_w_referrals_owners").set_value(10).run()
    at.button(key="lab_save_owners").click().run()
    assert "请填写方案名称。" in [e.value for e in at.error]
    assert len(schemes(fresh_db.engine)) == len(before)

    at.text_input(key="lab_name_owners").set_value("加入转介绍").run()
    at.button(key="lab_save_owners").click().run()
    assert not at.exception
    assert "已保存为第 3 版草稿。" in [s.value for s in at.success]  # the demo has owners versions 1 and 2
    after = schemes(fresh_db.engine)
    assert len(after) == len(before) + 1
    row = after.iloc[-1]
    assert (row["population"], row["version"], row["name"], row["status"]) == (
        "owners",
        3,
        "加入转介绍",
        "draft",
    )
    with fresh_db.engine.connect() as conn:
        params = conn.execute(
            sa.text("SELECT params FROM scoring_schemes WHERE id = :i"), {"i": int(row["id"])}
        ).scalar_one()
    params = json.loads(params) if isinstance(params, str) else params
    weights = {d: v["weight"] for d, v in params["dimensions"].items() if v["weight"]}
    assert weights == {"amount_12m": 30, "purchases_12m": 30, "repurchase_rate": 30, "referrals": 10}
    # saving publishes nothing: the published version and the tiers in force are unchanged
    assert after.set_index("id").loc[before["id"], "status"].tolist() == before["status"].tolist()
    assert set(in_force(fresh_db.engine, "owners")["scheme_id"]) == {
        int(before.query("population == 'owners' and status == 'published'")["id"].item())
    }


def test_publish_asks_to_confirm_then_writes_the_new_tiers_and_rollback_restores_them(fresh_db):
    at = open_lab(fresh_db.url)
    # the demo's owners history: version 1 archived, version 2 published
    old = schemes(fresh_db.engine).query("population == 'owners' and status == 'published'").iloc[0]
    assert old["version"] == 2
    old_tiers = in_force(fresh_db.engine, "owners")
    closed_sql = "SELECT COUNT(*) FROM tier_assignments WHERE scheme_id = :i AND effective_to IS NOT NULL"
    with fresh_db.engine.connect() as conn:
        closed_before = conn.execute(sa.text(closed_sql), {"i": int(old["id"])}).scalar_one()
    at.slider(key="lab_w_amount_12m_owners").set_value(20).run()
    at.slider(key="lab_w_satisfaction_owners").set_value(20).run()
    spec = owners_spec(amount_12m=20, purchases_12m=30, repurchase_rate=30, satisfaction=20)
    data, p = expected(fresh_db.engine, spec)

    # no name: the dialog does not open
    at.button(key="lab_publish_owners").click().run()
    assert "请填写方案名称。" in [e.value for e in at.error]
    assert not [b for b in at.button if b.key == "lab_publish_confirm"]

    at.text_input(key="lab_name_owners").set_value("满意度 20%").run()
    at.button(key="lab_publish_owners").click().run()
    assert not at.exception
    body = f"将按此方案为 {len(data.features):,} 位客户写入新级别（{len(p.moved_up):,} 人升级，{len(p.moved_down):,} 人降级）"
    assert any(m.startswith(body) for m in markdowns(at)), markdowns(at)
    assert len(schemes(fresh_db.engine)) == 3  # the dialog alone writes nothing
    at.button(key="lab_publish_confirm").click().run()
    assert not at.exception

    assert f"已发布第 3 版，写入 {len(data.features):,} 条分级结果。" in [s.value for s in at.success]
    rows = schemes(fresh_db.engine).set_index("id")
    new_id = int(rows.query("population == 'owners' and version == 3").index[0])
    assert rows.loc[new_id, "status"] == "published" and rows.loc[new_id, "name"] == "满意度 20%"
    assert rows.loc[int(old["id"]), "status"] == "archived"
    # the other population is untouched
    assert (rows.query("population == 'leads'")["status"] == "published").all()
    now = in_force(fresh_db.engine, "owners")
    assert set(now["scheme_id"]) == {new_id}
    want = p.scored.frame()[["customer_id", "tier"]].sort_values("customer_id", ignore_index=True)
    pd.testing.assert_frame_equal(now[["customer_id", "tier"]], want, check_dtype=False)
    with fresh_db.engine.connect() as conn:
        closed = conn.execute(sa.text(closed_sql), {"i": int(old["id"])}).scalar_one()
    # the ones in force are closed now; the demo's earlier ones were closed already
    assert closed == closed_before + len(old_tiers)
    # the page now previews against the new published tiers: nobody moves
    at.run()
    assert any(m.startswith("升级 0 人，降级 0 人") for m in markdowns(at))
    versions = frame_with(at, "状态")
    assert versions["版本"].tolist() == [3, 2, 1]
    assert versions["状态"].tolist() == ["已发布", "已归档", "已归档"]

    # roll back to version 2: a confirmation with what changes first, nothing written until confirmed
    at.selectbox(key="lab_rb_owners").set_value(2).run()
    assert not at.button(key="lab_rb_go_owners").disabled
    assert at.button(key="lab_rb_go_owners").label == "回滚到所选版本…"
    at.button(key="lab_rb_go_owners").click().run()
    assert not at.exception
    with fresh_db.engine.connect() as conn:
        v2 = get_version(conn=conn, scheme_id=int(old["id"]))
    now_data = load_lab_data(fresh_db.engine, population="owners")
    back_p = preview(Scorer(v2.params).fit(now_data.features), v2.params, now_data.published)
    body = (
        f"第 2 版（{plain(v2.name)}）将按今天的数据为 {len(data.features):,} 位客户写入新级别：与当前发布的级别相比 "
        f"{len(back_p.moved_up):,} 人升级，{len(back_p.moved_down):,} 人降级"
    )
    assert any(m.startswith(body) for m in markdowns(at)), markdowns(at)
    assert schemes(fresh_db.engine).set_index("id").loc[new_id, "status"] == "published"
    at.button(key="lab_rb_confirm").click().run()
    assert not at.exception
    assert f"已回滚：第 2 版重新发布，写入 {len(data.features):,} 条分级结果。" in [
        s.value for s in at.success
    ]
    rows = schemes(fresh_db.engine).set_index("id")
    assert rows.loc[int(old["id"]), "status"] == "published"
    assert rows.loc[new_id, "status"] == "archived"
    back = in_force(fresh_db.engine, "owners")
    assert set(back["scheme_id"]) == {int(old["id"])}
    pd.testing.assert_frame_equal(back[["customer_id", "tier"]], old_tiers[["customer_id", "tier"]])
    assert frame_with(at, "状态")["状态"].tolist() == ["已归档", "已发布", "已归档"]


def test_a_manager_loads_an_analysts_draft_and_publishing_it_asks_to_confirm(fresh_db):
    """Any version loads into the sliders; the draft's publish button opens a confirmation with the change
    (counts before/after, movers) and writes nothing until confirmed; cancel writes nothing either."""
    from core.scoring.publishing import save_draft

    draft_spec = owners_spec(amount_12m=10, purchases_12m=50, repurchase_rate=40)
    draft = save_draft(fresh_db.engine, draft_spec, name="分析师草稿", actor="analyst")
    assert draft.version == 3
    at = open_lab(fresh_db.url)
    at.selectbox(key="lab_rb_owners").set_value(3).run()
    assert at.button(key="lab_rb_go_owners").label == "发布所选草稿…"
    at.button(key="lab_load_owners").click().run()
    assert not at.exception
    dims = ("amount_12m", "purchases_12m", "repurchase_rate")
    assert [at.slider(key=f"lab_w_{d}_owners").value for d in dims] == [10, 50, 40]
    assert at.text_input(key="lab_name_owners").value == "分析师草稿"
    assert "已把第 3 版（分析师草稿）载入草稿：上方的滑块和预览现在是这个版本。" in [
        x.value for x in at.success
    ]
    data, p = expected(fresh_db.engine, draft_spec)
    assert any(m.startswith(moved_text(p)) for m in markdowns(at))  # the preview is the loaded draft's

    at.button(key="lab_rb_go_owners").click().run()
    body = (
        f"第 3 版（分析师草稿）将按今天的数据为 {len(data.features):,} 位客户写入新级别：与当前发布的级别相比 "
        f"{len(p.moved_up):,} 人升级，{len(p.moved_down):,} 人降级，{p.unchanged:,} 人不变。"
    )
    assert any(m.startswith(body) for m in markdowns(at)), markdowns(at)
    shown = frame_with(at, "当前发布")
    assert shown["客户数"].tolist() == p.counts["customers"].tolist()
    assert shown["当前发布"].tolist() == p.counts["published"].tolist()
    at.button(key="lab_rb_cancel").click().run()
    drafts = schemes(fresh_db.engine).query("population == 'owners' and version == 3")
    assert drafts["status"].item() == "draft"
    at.button(key="lab_rb_go_owners").click().run()
    at.button(key="lab_rb_confirm").click().run()
    assert not at.exception
    assert f"已发布第 3 版，写入 {len(data.features):,} 条分级结果。" in [x.value for x in at.success]
    assert set(in_force(fresh_db.engine, "owners")["scheme_id"]) == {draft.id}


def test_compare_two_versions_by_tier_shares_and_movers(demo_db):
    """Version 1 against version 2 on today's data: each tier's count and share (checked with plain pandas on
    each version's own tiers) and how many move."""
    at = open_lab(demo_db.url)
    with demo_db.engine.connect() as conn:
        v = {x.version: x for x in versions(conn=conn, population="owners")}
    data = load_lab_data(demo_db.engine, population="owners")
    tiers = {k: Scorer(v[k].params).fit(data.features).score(v[k].params).frame()["tier"] for k in (1, 2)}
    shares = frame_with(at, "A 占比")
    for k, col in ((1, "版本 A (1)"), (2, "版本 B (2)")):
        counts = tiers[k].value_counts()
        assert shares[col].tolist() == [int(counts.get(x, 0)) for x in shares["级别"]]
    assert shares["A 占比"].round(6).tolist() == [
        round(float((tiers[1] == x).mean()), 6) for x in shares["级别"]
    ]
    order = {x: i for i, x in enumerate(v[2].params["labels"])}
    old = tiers[1].map(order).to_numpy()
    new = tiers[2].map(order).to_numpy()
    moved = f"从版本 A 换成版本 B：{int((new < old).sum()):,} 人升级，{int((new > old).sum()):,} 人降级，{int((new == old).sum()):,} 人不变。"
    assert moved in markdowns(at)


# ---- population and language -------------------------------------------------------------------------


def test_switching_to_leads_shows_the_leads_preview(demo_db):
    at = open_lab(demo_db.url)
    at.button_group(key="lab_population").set_value("leads").run()
    assert not at.exception
    leads = preset("leads_habc")
    data, p = expected(demo_db.engine, leads)
    assert at.slider(key="lab_w_days_to_expected_leads").value == 50
    assert not [s for s in at.slider if s.key.endswith("_owners")]
    assert any(f"{len(data.features):,} 位客户" in c.value for c in at.caption)
    assert moved_text(p) in markdowns(at)
    assert len(p.moved_up) == len(p.moved_down) == 0
    assert_counts_table(at, p)
    assert frame_with(at, "客户数")["级别"].tolist() == ["H", "A", "B", "C"]

    at.slider(key="lab_w_days_to_expected_leads").set_value(30).run()
    at.slider(key="lab_w_visits_leads").set_value(20).run()
    moved = preset("leads_habc")
    moved["dimensions"]["days_to_expected"]["weight"] = 30
    moved["dimensions"]["visits"] = {"weight": 20, "normalisation": "percentile", "direction": "higher"}
    _, p2 = expected(demo_db.engine, moved)
    assert moved_text(p2) in markdowns(at)
    assert_counts_table(at, p2)
    assert np.array_equal(heatmap(at)["z"], p2.transition.to_numpy())
    assert np.array_equal(heatmap(at)["z"], crosstab(demo_db.engine, p2, "leads"))

    # back to owners and to leads again: each population's draft is where it was left
    assert "lab_w_amount_12m_owners" not in [s.key for s in at.slider]  # not drawn while leads are shown
    at.button_group(key="lab_population").set_value("owners").run()
    assert not at.exception and not at.error and not at.warning
    assert at.slider(key="lab_w_amount_12m_owners").value == 40
    assert at.text_input(key="lab_labels_owners").value == "高价值 / 普通 / 流失风险"
    _, p_owners = expected(demo_db.engine, owners_spec(amount_12m=40, purchases_12m=30, repurchase_rate=30))
    assert moved_text(p_owners) in markdowns(at)
    at.button_group(key="lab_population").set_value("leads").run()
    assert at.slider(key="lab_w_days_to_expected_leads").value == 30
    assert at.slider(key="lab_w_visits_leads").value == 20
    assert moved_text(p2) in markdowns(at)


def test_english_labels(demo_db, monkeypatch):
    # AppTest evaluates widgets' format_func outside the script run, where st.session_state is empty and
    # t() falls back to the default language: make that English too, or every rerun fails to find the
    # English option labels ("'当前发布的方案' is not in list")
    monkeypatch.setattr("dashboard.i18n.DEFAULT_LANGUAGE", "en")
    at = open_lab(demo_db.url, lang="en")
    assert at.title[0].value == "Scoring lab"
    assert at.slider(key="lab_w_amount_12m_owners").label == "Amount, last 12 months"
    _, p = expected(demo_db.engine, owners_spec(amount_12m=40, purchases_12m=30, repurchase_rate=30))
    assert moved_text(p, MOVED_EN) in markdowns(at)
    counts = frame_with(at, "Customers")
    assert counts.columns.tolist() == ["Tier", "Customers", "Share", "Published", "Change"]
    assert counts["Tier"].tolist() == [TIER_EN[x] for x in p.counts["tier"]]
    assert heatmap(at)["x"] == [TIER_EN[x] for x in p.scored.labels]
    assert at.button(key="lab_save_owners").label == "Save draft"
    assert at.button(key="lab_publish_owners").label == "Publish…"
    assert at.text_input(key="lab_labels_owners").label == "Tier labels (top first, separated by /)"
    at.text_input(key="lab_labels_owners").set_value("A / A / B").run()
    assert "Tier labels must be different from each other." in [e.value for e in at.error]
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    shown = [x for x in shown if not x.startswith("Signed in: ")]  # the user's own (Chinese) name is data
    assert not [x for x in shown if any("\u4e00" <= ch <= "\u9fff" for ch in x)]  # no Chinese left over


# ---- the movers' filter and the weight suggestion (through the page's one evaluation) ----------------


def test_movers_filtered_by_advisor_and_the_weight_suggestion(demo_db):
    """The movers' filter keeps one advisor's movers; "suggest weights" shows weights fitted as
    ``core.scoring.suggest`` fits them beside the draft's, and "use" puts them into the sliders."""
    from core.scoring.features import dimension_names
    from core.scoring.suggest import suggest_weights

    at = open_lab(demo_db.url)
    at.slider(key="lab_w_amount_12m_owners").set_value(20).run()
    at.slider(key="lab_w_satisfaction_owners").set_value(20).run()
    data, p = expected(
        demo_db.engine, owners_spec(amount_12m=20, purchases_12m=30, repurchase_rate=30, satisfaction=20)
    )
    advisor = int(data.advisor_id[p.moved_up[0]])
    at.multiselect(key="lab_mv_advisor").set_value([advisor]).run()
    assert not at.exception
    ids = data.features.index.to_numpy()
    mine = p.moved_up[data.advisor_id[p.moved_up] == advisor]
    assert frame_with(at, "当前级别", 0)["客户编号"].tolist() == ids[mine][:200].tolist()
    assert f"显示前 {min(len(mine), 200)} 位（共 {len(mine):,} 位）" in [c.value for c in at.caption]
    assert moved_text(p) in markdowns(at)  # the filter narrows the list, not the preview

    at.button(key="lab_suggest_owners").click().run()
    assert not at.exception
    # the lab's draft spans every owner dimension (zero weight where none), as its sliders do
    weights = {"amount_12m": 20, "purchases_12m": 30, "repurchase_rate": 30, "satisfaction": 20}
    lab_spec = preset("value_3") | {
        "dimensions": {
            d: {
                "weight": weights.get(d, 0),
                "normalisation": "percentile",
                "direction": DIMENSIONS[d].direction,
            }
            for d in dimension_names("owners")
        }
    }
    want = suggest_weights(
        Scorer(lab_spec).fit(data.train_features),
        data.train_outcome,
        Scorer(lab_spec).fit(data.backtest_features),
        data.backtest_outcome,
        lab_spec,
    )
    shown = frame_with(at, "建议")
    assert shown["建议"].tolist() == list(want.weights.values())
    assert shown["草稿"].tolist() == [int(lab_spec["dimensions"][d]["weight"]) for d in want.weights]
    at.button(key="lab_suggest_use_owners").click().run()
    assert not at.exception
    assert {d: at.slider(key=f"lab_w_{d}_owners").value for d in want.weights} == want.weights
