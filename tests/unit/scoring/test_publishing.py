"""Scheme versions in the database (core.scoring.publishing), on every backend: drafts, publish, rollback, compare,
rescore, export, and all-or-nothing publishing under injected failures."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa

import core.scoring.publishing
import core.storage.bulk
from core.demo.generator import generate
from core.scoring.feature_inputs import load_feature_inputs
from core.scoring.features import compute_features
from core.scoring.publishing import (
    assignments_frame,
    compare,
    current_assignments,
    export_tiers,
    get_version,
    last_assignments,
    published,
    rescore,
    save_draft,
    versions,
    write_assignments,
)
from core.scoring.scheme import SchemeError, Scorer, preset
from core.storage.models import AuditLog, ScoringScheme, TierAssignment

AS_OF = dt.date(2026, 6, 30)
T0 = dt.datetime(2026, 6, 1, 9, 0)
T1 = dt.datetime(2026, 6, 2, 10, 0)
T2 = dt.datetime(2026, 6, 3, 11, 30)
T3 = dt.datetime(2026, 6, 4, 8, 15)
CUSTOMERS = 120
SPEC_V1 = preset("value_3")
SPEC_V2 = {
    **preset("value_3"),
    "dimensions": {
        "amount_12m": {"weight": 60, "normalisation": "percentile", "direction": "higher"},
        "purchases_12m": {"weight": 20, "normalisation": "minmax", "direction": "higher"},
        "repurchase_rate": {"weight": 20, "normalisation": "percentile", "direction": "higher"},
    },
    "tiering": {"method": "percentile", "cutoffs": [30, 40, 30]},
}
LEADS_SPEC = preset("leads_habc")


# ---- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture
def dealer(engine):
    """``engine`` with a small demo dealer group (customers, no schemes, no tiers)."""
    generate(engine, customers=CUSTOMERS, seed=5, as_of=AS_OF, with_tiers=False)
    return engine


def customer_ids(engine) -> np.ndarray:
    with engine.connect() as conn:
        return np.array(conn.execute(sa.text("SELECT id FROM customers ORDER BY id")).scalars().all())


def made_up_features(ids: np.ndarray, seed: int) -> pd.DataFrame:
    """Owner dimensions and trigger flags for any customers (publishing does not care where they come from)."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    return pd.DataFrame(
        {
            "amount_12m": rng.integers(0, 50, n) * 1000.0,
            "purchases_12m": rng.integers(0, 6, n).astype(float),
            "repurchase_rate": rng.integers(0, 5, n) / 4,
            "flag_no_purchase_6m_no_response": rng.random(n) < 0.1,
            "flag_frequency_down_50": rng.random(n) < 0.1,
            "flag_asked_competitor": rng.random(n) < 0.1,
        },
        index=pd.Index(ids, name="customer_id"),
    )


def assignments(spec: dict, features: pd.DataFrame) -> pd.DataFrame:
    return assignments_frame(Scorer(spec).fit(features).score(), spec)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def table(engine, model) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(model.__table__).order_by(model.__table__.c.id), conn)


def current(engine, population: str = "owners") -> pd.DataFrame:
    with engine.connect() as conn:
        got = current_assignments(conn=conn, population=population)
    return got.sort_values("customer_id", ignore_index=True)


def assert_assignments_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same customers, tiers, rules (and scheme ids if given); scores to float precision (MariaDB stores
    FLOAT, single precision)."""
    cols = [c for c in ("customer_id", "tier", "rule", "scheme_id") if c in want.columns]
    got = got.sort_values("customer_id", ignore_index=True)
    want = want.sort_values("customer_id", ignore_index=True)
    pdt.assert_frame_equal(
        got[cols].astype(object).where(got[cols].notna(), None),
        want[cols].astype(object).where(want[cols].notna(), None),
        check_dtype=False,
    )
    np.testing.assert_allclose(
        got["score"].to_numpy(float), want["score"].to_numpy(float), rtol=1e-6, atol=1e-4
    )


def audit_actions(engine) -> list[tuple[str, str, str]]:
    """The audit entries about schemes (the demo's account creations are not the subject here)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(AuditLog.action, AuditLog.object_id, AuditLog.actor)
            .where(AuditLog.object_type == "scoring_scheme")
            .order_by(AuditLog.id)
        ).all()
    return [tuple(r) for r in rows]


# ---- drafts ----------------------------------------------------------------------------------------------


def test_save_draft_numbers_versions_per_population(engine):
    o1 = save_draft(engine, SPEC_V1, name="  价值分层 ", actor="ana", now=T0)
    o2 = save_draft(engine, SPEC_V2, name="金额加权", actor="ana", now=T1)
    l1 = save_draft(engine, LEADS_SPEC, name="线索", actor="bo", now=T1)
    o3 = save_draft(engine, SPEC_V1, name="再来", actor="bo", now=T2)
    assert [(v.population, v.version, v.status) for v in (o1, o2, l1, o3)] == [
        ("owners", 1, "draft"),
        ("owners", 2, "draft"),
        ("leads", 1, "draft"),
        ("owners", 3, "draft"),
    ]
    assert (o1.name, o1.created_by, o1.created_at, o1.published_at) == ("价值分层", "ana", T0, None)
    assert o2.params == SPEC_V2 and l1.params == LEADS_SPEC  # the spec round-trips through JSON
    with engine.connect() as conn:
        assert [v.version for v in versions(conn=conn, population="owners")] == [3, 2, 1]
        assert [v.id for v in versions(conn=conn, population="leads")] == [l1.id]
        assert get_version(conn=conn, scheme_id=o2.id) == o2
        assert published(conn=conn, population="owners") is None
        with pytest.raises(LookupError):
            get_version(conn=conn, scheme_id=o3.id + 100)
    assert audit_actions(engine) == [
        ("scheme.save_draft", str(o1.id), "ana"),
        ("scheme.save_draft", str(o2.id), "ana"),
        ("scheme.save_draft", str(l1.id), "bo"),
        ("scheme.save_draft", str(o3.id), "bo"),
    ]


def _weights(**w):
    spec = copy.deepcopy(SPEC_V1)
    for name, weight in w.items():
        spec["dimensions"][name]["weight"] = weight
    return spec


REFUSALS = [
    (_weights(amount_12m=50), "v", None, [("weights", "weights_sum")]),
    (_weights(amount_12m=0, purchases_12m=0, repurchase_rate=0), "v", None, [("weights", "weights_all_zero")]),
    (_weights(amount_12m=float("nan")), "v", None, [("dimension:amount_12m", "weight_not_number")]),
    (_weights(amount_12m=-40, purchases_12m=110), "v", None, [("dimension:amount_12m", "weight_negative")]),
    ({**SPEC_V1, "labels": ["高价值", "高价值", "流失风险"]}, "v", None, [("labels", "labels_duplicate")]),
    ({**SPEC_V1, "tiering": {"method": "percentile", "cutoffs": [20, 60, 30]}}, "v", None,
     [("tiering", "cutoffs_sum")]),
    (SPEC_V1, "v", {"amount_12m", "purchases_12m"}, [("dimension:repurchase_rate", "dimension_unknown")]),
    (SPEC_V1, "", None, [("name", "name_empty")]),
    (SPEC_V1, "   ", None, [("name", "name_empty")]),
    (_weights(amount_12m=50), "", None, [("weights", "weights_sum"), ("name", "name_empty")]),
]  # fmt: skip


def test_save_draft_refuses_and_saves_nothing(engine):
    # one database per backend for the whole table: what matters here is that nothing reaches it
    save_draft(engine, SPEC_V1, name="ok", actor="ana", now=T0)
    before = (count(engine, ScoringScheme), count(engine, AuditLog))
    for spec, name, available, expected in REFUSALS:
        with pytest.raises(SchemeError) as info:
            save_draft(engine, spec, name=name, actor="ana", available=available, now=T1)
        assert [(p.field, p.code) for p in info.value.problems] == expected, (name, expected)
        assert (count(engine, ScoringScheme), count(engine, AuditLog)) == before, expected
    # and the numbering goes on where it was
    assert save_draft(engine, SPEC_V2, name="next", actor="ana", now=T2).version == 2


# ---- publish, archive, roll back -------------------------------------------------------------------------


def test_publish_then_publish_again_then_roll_back(dealer):
    engine = dealer
    ids = customer_ids(engine)
    features = made_up_features(ids, seed=1)
    a1, a2 = assignments(SPEC_V1, features), assignments(SPEC_V2, features)
    assert a1["rule"].notna().any()  # some trigger rules fired and are written with their name
    assert set(a1["rule"].dropna()) <= {"no_purchase_6m_no_response", "frequency_down_50", "asked_competitor"}
    # leads have their own published scheme, which owners' publishing must leave alone
    lv = save_draft(engine, LEADS_SPEC, name="线索", actor="ana", now=T0)
    leads = pd.DataFrame({"customer_id": ids[:10], "tier": "H", "score": 50.0, "rule": None})
    write_assignments(engine, lv.id, leads, actor="mgr", at=T0)

    v1 = save_draft(engine, SPEC_V1, name="v1", actor="ana", now=T0)
    v2 = save_draft(engine, SPEC_V2, name="v2", actor="ana", now=T0)

    assert write_assignments(engine, v1.id, a1, actor="mgr", at=T1) == len(ids)
    with engine.connect() as conn:
        assert published(conn=conn, population="owners").id == v1.id
        assert get_version(conn=conn, scheme_id=v2.id).status == "draft"
    assert_assignments_equal(current(engine), a1.assign(scheme_id=v1.id))

    assert write_assignments(engine, v2.id, a2, actor="mgr", at=T2) == len(ids)
    with engine.connect() as conn:
        got1, got2 = get_version(conn=conn, scheme_id=v1.id), get_version(conn=conn, scheme_id=v2.id)
    assert (got1.status, got2.status, got2.published_at) == ("archived", "published", T2)
    assert_assignments_equal(current(engine), a2.assign(scheme_id=v2.id))
    history = table(engine, TierAssignment)
    owners = history[history["scheme_id"].isin([v1.id, v2.id])]
    # v1's rows are kept, closed when v2 took over; v2's are open
    assert owners.groupby(["scheme_id", "effective_from", "effective_to"], dropna=False).size().to_dict() == {
        (v1.id, pd.Timestamp(T1), pd.Timestamp(T2)): len(ids),
        (v2.id, pd.Timestamp(T2), pd.NaT): len(ids),
    }

    # roll back: v1 is published again with its assignments, v2 archived, nothing deleted
    assert write_assignments(engine, v1.id, a1, actor="boss", action="scheme.rollback", at=T3) == len(ids)
    with engine.connect() as conn:
        assert [(v.version, v.status) for v in versions(conn=conn, population="owners")] == [
            (2, "archived"),
            (1, "published"),
        ]
        assert published(conn=conn, population="owners").published_at == T3
        latest_v1 = last_assignments(conn=conn, scheme_id=v1.id)
        latest_v2 = last_assignments(conn=conn, scheme_id=v2.id)
    assert_assignments_equal(current(engine), a1.assign(scheme_id=v1.id))
    assert_assignments_equal(latest_v1, a1[["customer_id", "tier", "score"]])
    assert_assignments_equal(latest_v2, a2[["customer_id", "tier", "score"]])
    history = table(engine, TierAssignment)
    assert len(history) == 3 * len(ids) + len(leads)
    assert (history["effective_to"].isna()).sum() == len(ids) + len(leads)
    # the leads' assignments were never touched
    assert_assignments_equal(current(engine, "leads"), leads.assign(scheme_id=lv.id))
    assert audit_actions(engine) == [
        ("scheme.save_draft", str(lv.id), "ana"),
        ("scheme.publish", str(lv.id), "mgr"),
        ("scheme.save_draft", str(v1.id), "ana"),
        ("scheme.save_draft", str(v2.id), "ana"),
        ("scheme.publish", str(v1.id), "mgr"),
        ("scheme.publish", str(v2.id), "mgr"),
        ("scheme.rollback", str(v1.id), "boss"),
    ]
    with engine.connect() as conn:
        details = conn.execute(sa.select(AuditLog.detail).order_by(AuditLog.id.desc()).limit(1)).scalar_one()
    assert details == {"version": 1, "customers": len(ids)}


def test_compare_two_versions(dealer):
    engine = dealer
    features = made_up_features(customer_ids(engine), seed=2)
    a1, a2 = assignments(SPEC_V1, features), assignments(SPEC_V2, features)
    v1 = save_draft(engine, SPEC_V1, name="v1", actor="ana", now=T0)
    v2 = save_draft(engine, SPEC_V2, name="v2", actor="ana", now=T0)
    with engine.connect() as conn:
        before = compare(conn=conn, a=v1.id, b=v2.id)
    assert before["transition"] is None  # neither has been published
    write_assignments(engine, v1.id, a1, actor="mgr", at=T1)
    write_assignments(engine, v2.id, a2, actor="mgr", at=T2)
    with engine.connect() as conn:
        got = compare(conn=conn, a=v1.id, b=v2.id)
    assert (got["a"].id, got["b"].id) == (v1.id, v2.id)
    pdt.assert_frame_equal(
        got["weights"],
        pd.DataFrame(
            {
                "dimension": ["amount_12m", "purchases_12m", "repurchase_rate"],
                "a": [40.0, 30.0, 30.0],
                "b": [60.0, 20.0, 20.0],
                "change": [20.0, -10.0, -10.0],
            }
        ),
    )
    # the transition matrix, counted here by hand from the two frames
    both = a1.merge(a2, on="customer_id", suffixes=("_a", "_b"))
    labels = SPEC_V1["labels"]
    want = [[int(((both["tier_a"] == x) & (both["tier_b"] == y)).sum()) for y in labels] for x in labels]
    assert got["transition"].to_numpy().tolist() == want
    assert list(got["transition"].index) == labels and list(got["transition"].columns) == labels
    assert got["transition"].to_numpy().sum() == len(a1)


def test_compare_versions_with_different_dimensions(engine):
    other = {
        **SPEC_V1,
        "dimensions": {
            "amount_12m": {"weight": 50, "normalisation": "percentile", "direction": "higher"},
            "satisfaction": {"weight": 50, "normalisation": "minmax", "direction": "higher"},
        },
    }
    v1 = save_draft(engine, SPEC_V1, name="v1", actor="ana", now=T0)
    v2 = save_draft(engine, other, name="v2", actor="ana", now=T0)
    with engine.connect() as conn:
        got = compare(conn=conn, a=v1.id, b=v2.id)
    assert got["weights"].to_dict("list") == {
        "dimension": ["amount_12m", "purchases_12m", "repurchase_rate", "satisfaction"],
        "a": [40.0, 30.0, 30.0, 0.0],
        "b": [50.0, 0.0, 0.0, 50.0],
        "change": [10.0, -30.0, -30.0, 50.0],
    }


# ---- all or nothing ----------------------------------------------------------------------------------------


def fail_after_two_chunks(monkeypatch, seen):
    real = core.storage.bulk._insert_rows

    def insert_two_chunks_then_fail(conn, table, cols, frame, sqlite):
        real(conn, table, cols, frame.iloc[: 2 * core.storage.bulk.CHUNK], sqlite)
        # inside the transaction the rows are really there: the failure comes in the middle of the writing
        seen.append(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(TierAssignment)
                .where(TierAssignment.effective_to.is_(None))
            ).scalar_one()
        )
        raise RuntimeError("disk full")

    monkeypatch.setattr(core.storage.bulk, "_insert_rows", insert_two_chunks_then_fail)


def fail_in_the_third_chunk(monkeypatch, seen):
    real = core.storage.bulk._column_values
    calls = []

    def column_values(series, sql_type, sqlite):
        calls.append(len(series))
        if len(calls) > 2 * 7:  # seven columns per chunk: the third chunk fails while it is being built
            seen.append(len(calls))
            raise RuntimeError("connection lost")
        return real(series, sql_type, sqlite)

    monkeypatch.setattr(core.storage.bulk, "_column_values", column_values)


def fail_after_every_row(monkeypatch, seen):
    def audit(*args, **kwargs):
        seen.append("audit")
        raise RuntimeError("audit log full")

    monkeypatch.setattr(core.scoring.publishing, "_audit", audit)


@pytest.mark.parametrize("inject", [fail_after_two_chunks, fail_in_the_third_chunk, fail_after_every_row])
def test_a_failed_publish_leaves_the_old_assignments(dealer, monkeypatch, inject):
    engine = dealer
    monkeypatch.setattr(core.storage.bulk, "CHUNK", 25)  # 120 rows: five chunks
    features = made_up_features(customer_ids(engine), seed=3)
    a1, a2 = assignments(SPEC_V1, features), assignments(SPEC_V2, features)
    v1 = save_draft(engine, SPEC_V1, name="v1", actor="ana", now=T0)
    v2 = save_draft(engine, SPEC_V2, name="v2", actor="ana", now=T0)
    write_assignments(engine, v1.id, a1, actor="mgr", at=T1)  # several chunks, all written
    rows_before = table(engine, TierAssignment)
    schemes_before = table(engine, ScoringScheme)
    audit_before = table(engine, AuditLog)
    assert len(rows_before) == len(a1) and rows_before["effective_to"].isna().all()

    seen: list = []
    inject(monkeypatch, seen)
    with pytest.raises(RuntimeError):
        write_assignments(engine, v2.id, a2, actor="mgr", at=T2)
    assert seen  # the failure did happen where it was meant to
    if inject is fail_after_two_chunks:
        assert seen == [50]

    pdt.assert_frame_equal(table(engine, TierAssignment), rows_before)
    pdt.assert_frame_equal(table(engine, ScoringScheme), schemes_before)
    pdt.assert_frame_equal(table(engine, AuditLog), audit_before)
    with engine.connect() as conn:
        assert published(conn=conn, population="owners").id == v1.id
    assert_assignments_equal(current(engine), a1.assign(scheme_id=v1.id))

    # once the failure is gone the same publish goes through
    monkeypatch.undo()
    assert write_assignments(engine, v2.id, a2, actor="mgr", at=T2) == len(a2)
    assert_assignments_equal(current(engine), a2.assign(scheme_id=v2.id))


def test_publishing_an_unknown_version_changes_nothing(dealer):
    engine = dealer
    features = made_up_features(customer_ids(engine), seed=4)
    v1 = save_draft(engine, SPEC_V1, name="v1", actor="ana", now=T0)
    write_assignments(engine, v1.id, assignments(SPEC_V1, features), actor="mgr", at=T1)
    before = table(engine, TierAssignment)
    with pytest.raises(LookupError):
        write_assignments(engine, v1.id + 99, assignments(SPEC_V2, features), actor="mgr", at=T2)
    pdt.assert_frame_equal(table(engine, TierAssignment), before)


# ---- rescore and export ------------------------------------------------------------------------------------


# the demo's published versions: owners version 2 (after a year and a half of version 1; published a week before
# as_of and rescored on it), leads version 1
DEMO_PUBLISHED_VERSION = {"owners": 2, "leads": 1}


@pytest.fixture
def demo_engine(engine):
    """``engine`` with a small demo and its tier history (published: ``DEMO_PUBLISHED_VERSION``)."""
    generate(engine, customers=150, seed=3, as_of=AS_OF)
    return engine


def scored_by_hand(engine, spec: dict, population: str, as_of: dt.date) -> pd.DataFrame:
    with engine.connect() as conn:
        inputs = load_feature_inputs(conn=conn)
    return assignments(spec, compute_features(inputs, population=population, as_of=as_of))


@pytest.mark.parametrize("population", ["owners", "leads"])
def test_rescore_keeps_the_version_and_rewrites_the_assignments(demo_engine, population):
    engine = demo_engine
    with engine.connect() as conn:
        scheme = published(conn=conn, population=population)
    before = current(engine, population)
    schemes_before = table(engine, ScoringScheme)
    assert len(before) > 0 and (before["scheme_id"] == scheme.id).all()
    history = table(engine, TierAssignment)
    mine_before = history[history["scheme_id"] == scheme.id]  # the demo's own scorings of this version

    # same data, same day: the same tiers, in new rows
    got, n = rescore(engine, population=population, as_of=AS_OF, actor="nightly")
    assert (got.id, got.version, n) == (scheme.id, DEMO_PUBLISHED_VERSION[population], len(before))
    after = current(engine, population)
    assert_assignments_equal(after, before)
    history = table(engine, TierAssignment)
    mine = history[history["scheme_id"] == scheme.id]
    # n rows more, and the n that were in force are closed (earlier rows as they were)
    assert len(mine) == len(mine_before) + n
    assert mine["effective_to"].notna().sum() == mine_before["effective_to"].notna().sum() + n
    # no new version; only the published time moves
    schemes_after = table(engine, ScoringScheme)
    cols = ["id", "population", "version", "name", "status"]
    pdt.assert_frame_equal(schemes_after[cols], schemes_before[cols])
    assert audit_actions(engine)[-1] == ("scheme.rescore", str(scheme.id), "nightly")

    # another day: exactly what the published spec gives on that day's features
    earlier = dt.date(2026, 3, 31)
    _, m = rescore(engine, population=population, as_of=earlier)
    want = scored_by_hand(engine, scheme.params, population, earlier)
    assert m == len(want)
    assert_assignments_equal(current(engine, population), want.assign(scheme_id=scheme.id))


def test_rescore_on_given_inputs_at_a_given_time(demo_engine):
    """The demo's way of writing a past nightly job: the caller's event tables, effective at the caller's time."""
    engine = demo_engine
    with engine.connect() as conn:
        scheme = published(conn=conn, population="owners")
        inputs = load_feature_inputs(conn=conn)
    day, at = dt.date(2026, 3, 31), dt.datetime(2026, 7, 1, 6, 0)
    rows = table(engine, TierAssignment)
    was_open = rows.loc[rows["effective_to"].isna() & (rows["scheme_id"] == scheme.id), "id"]
    got, n = rescore(engine, population="owners", as_of=day, inputs=inputs, at=at)
    want = scored_by_hand(engine, scheme.params, "owners", day)
    assert got.id == scheme.id and n == len(want)
    assert_assignments_equal(current(engine, "owners"), want.assign(scheme_id=scheme.id))
    rows = table(engine, TierAssignment)
    closed, written = rows[rows["id"].isin(was_open)], rows.tail(n)  # rows are ordered by id
    assert len(was_open) > 0 and (closed["effective_to"] == pd.Timestamp(at)).all()
    assert (written["effective_from"] == pd.Timestamp(at)).all() and written["effective_to"].isna().all()
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(AuditLog.action, AuditLog.actor, AuditLog.at).order_by(AuditLog.id.desc()).limit(1)
        ).one()
    assert tuple(last) == ("scheme.rescore", "rescore", at)


def test_rescore_without_a_published_scheme(engine):
    with pytest.raises(LookupError, match="no published scheme for owners"):
        rescore(engine, population="owners", as_of=AS_OF)
    assert count(engine, TierAssignment) == 0


def test_export_tiers_equals_the_current_assignments(demo_engine):
    engine = demo_engine
    with engine.connect() as conn:
        everything = export_tiers(conn=conn)
        owners_only = export_tiers(conn=conn, population="owners")
        versions_by_population = {p: published(conn=conn, population=p).version for p in ("owners", "leads")}
    assert list(everything.columns) == [
        "customer_id",
        "population",
        "tier",
        "score",
        "scheme_version",
        "rule",
        "effective_from",
    ]
    # sorted by population, then customer
    assert everything["population"].is_monotonic_increasing
    for population, part in everything.groupby("population"):
        assert part["customer_id"].is_monotonic_increasing
        want = current(engine, population)
        assert len(part) == len(want)
        assert_assignments_equal(part, want[["customer_id", "tier", "score", "rule"]])
        assert set(part["scheme_version"]) == {versions_by_population[population]}
    assert everything["population"].value_counts().to_dict() == {
        p: len(current(engine, p)) for p in ("owners", "leads")
    }
    pdt.assert_frame_equal(
        owners_only.reset_index(drop=True),
        everything[everything["population"] == "owners"].reset_index(drop=True),
    )
