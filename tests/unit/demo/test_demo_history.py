"""The demo's tier history (core.demo.tier_history): owners version 1 published 18 months before the as-of date and rescored
half-yearly, version 2 published a week before the as-of date and rescored on it. Checked against plain SQL over the demo's own rows, against
scoring by hand with each day's features, and through the figures that compare tiers over time (year over year,
migration, the weekly review's first meeting, the overview's previous period)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa

from core.analytics import overview as ov
from core.analytics import tier_report as tr
from core.demo.generator import generate
from core.demo.tier_history import months_before, scoring_times
from core.scoring.feature_inputs import load_feature_inputs
from core.scoring.features import compute_features
from core.scoring.publishing import assignments_frame
from core.scoring.scheme import Scorer, preset
from core.storage.db import open_database
from core.storage.models import AuditLog, ScoringScheme
from core.workflow import review

# the owners' scorings of a demo as of 2026-06-30 (the session's demo_db), written out by hand
V1_PUBLISHED = dt.datetime(2024, 12, 30, 6, 0)
V1_RESCORED = [dt.datetime(2025, 6, 30, 6, 0), dt.datetime(2025, 12, 30, 6, 0)]
V2_PUBLISHED = dt.datetime(2026, 6, 23, 6, 0)
V2_RESCORED = dt.datetime(
    2026, 6, 30, 6, 0
)  # the nightly job on the as-of date; the leads are tiered then too
SCHEDULE = [V1_PUBLISHED, *V1_RESCORED, V2_PUBLISHED, V2_RESCORED]
V2 = {V2_PUBLISHED, V2_RESCORED}
NEVER = pd.Timestamp("2262-01-01")


def owner_rows(conn) -> pd.DataFrame:
    """Every owners assignment with its scheme version, by customer and time."""
    rows = pd.read_sql(
        sa.text(
            "SELECT a.id, a.customer_id, a.tier, a.score, a.effective_from, a.effective_to, s.version "
            "FROM tier_assignments a JOIN scoring_schemes s ON s.id = a.scheme_id WHERE s.population = 'owners' "
            "ORDER BY a.customer_id, a.effective_from"
        ),
        conn,
    )
    rows["effective_from"] = pd.to_datetime(rows["effective_from"])
    rows["effective_to"] = pd.to_datetime(rows["effective_to"])
    return rows


def owners_on(conn, day: dt.date) -> set[int]:
    """Customers with a new car bought on or before ``day`` (the owners population of that day)."""
    q = sa.text("SELECT DISTINCT customer_id FROM purchases WHERE kind = 'new_car' AND at <= :d")
    return {int(c) for (c,) in conn.execute(q, {"d": day}).all()}


def tiers_written_at(rows: pd.DataFrame, at: dt.datetime) -> dict[int, str]:
    part = rows[rows["effective_from"] == pd.Timestamp(at)]
    return dict(zip(part["customer_id"].astype(int), part["tier"], strict=True))


@pytest.fixture(scope="module")
def rows(demo_db) -> pd.DataFrame:
    with demo_db.engine.connect() as conn:
        return owner_rows(conn)


def test_the_schedule_is_18_months_back_then_every_six_months_then_a_week():
    assert scoring_times(dt.date(2026, 6, 30)) == SCHEDULE
    # month ends: a shorter month takes its last day
    assert scoring_times(dt.date(2026, 8, 31)) == [
        dt.datetime(2025, 2, 28, 6),
        dt.datetime(2025, 8, 31, 6),
        dt.datetime(2026, 2, 28, 6),
        dt.datetime(2026, 8, 24, 6),
        dt.datetime(2026, 8, 31, 6),
    ]
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_versions_statuses_and_audit_entries(demo_db):
    with demo_db.engine.connect() as conn:
        schemes = conn.execute(
            sa.select(
                ScoringScheme.id,
                ScoringScheme.population,
                ScoringScheme.version,
                ScoringScheme.status,
                ScoringScheme.published_at,
                ScoringScheme.params,
            ).order_by(ScoringScheme.id)
        ).all()
        audit = conn.execute(
            sa.select(AuditLog.action, AuditLog.object_id, AuditLog.actor, AuditLog.at, AuditLog.detail)
            .where(AuditLog.object_type == "scoring_scheme")
            .order_by(AuditLog.id)
        ).all()
        owners = [len(owners_on(conn, t.date())) for t in SCHEDULE]
    got = [(r.population, r.version, r.status) for r in schemes]
    assert got == [("owners", 1, "archived"), ("owners", 2, "published"), ("leads", 1, "published")]
    assert sum(1 for p, _, s in got if p == "owners" and s == "published") == 1
    v1, v2, leads = (dict(r._mapping) for r in schemes)
    params = [v1["params"], v2["params"]]
    # version 1 has the broad top tier (40/30/30), version 2 the preset 20/60/20; same dimensions and labels
    assert params[0]["tiering"]["cutoffs"] == [40, 30, 30] and params[1]["tiering"]["cutoffs"] == [20, 60, 20]
    assert params[0]["dimensions"] == params[1]["dimensions"] == preset("value_3")["dimensions"]
    assert params[0]["labels"] == params[1]["labels"] == ["高价值", "普通", "流失风险"]
    # a rescore moves the version's published time, as the nightly job does
    assert [pd.Timestamp(v["published_at"]) for v in (v1, v2, leads)] == [
        pd.Timestamp(V1_RESCORED[-1]),
        pd.Timestamp(V2_RESCORED),
        pd.Timestamp(V2_RESCORED),
    ]
    i1, i2, il = (str(v["id"]) for v in (v1, v2, leads))
    assert [(a.action, a.object_id, a.actor, pd.Timestamp(a.at)) for a in audit] == [
        ("scheme.save_draft", i1, "demo", pd.Timestamp(V1_PUBLISHED)),
        ("scheme.publish", i1, "demo", pd.Timestamp(V1_PUBLISHED)),
        ("scheme.rescore", i1, "rescore", pd.Timestamp(V1_RESCORED[0])),
        ("scheme.rescore", i1, "rescore", pd.Timestamp(V1_RESCORED[1])),
        ("scheme.save_draft", i2, "demo", pd.Timestamp(V2_PUBLISHED)),
        ("scheme.publish", i2, "demo", pd.Timestamp(V2_PUBLISHED)),
        ("scheme.rescore", i2, "rescore", pd.Timestamp(V2_RESCORED)),
        ("scheme.save_draft", il, "demo", pd.Timestamp(V2_RESCORED)),
        ("scheme.publish", il, "demo", pd.Timestamp(V2_RESCORED)),
    ]
    writes = [a.detail for a in audit if a.action != "scheme.save_draft"][:5]
    assert [w["customers"] for w in writes] == owners
    assert owners == sorted(owners) and owners[0] < owners[-1]  # the population grows


def test_each_scoring_tiers_the_owners_of_its_day_until_the_next(demo_db, rows):
    with demo_db.engine.connect() as conn:
        for i, at in enumerate(SCHEDULE):
            part = rows[rows["effective_from"] == pd.Timestamp(at)]
            assert set(part["customer_id"]) == owners_on(conn, at.date()), at
            until = SCHEDULE[i + 1] if i + 1 < len(SCHEDULE) else None
            if until is None:
                assert part["effective_to"].isna().all()
            else:
                assert (part["effective_to"] == pd.Timestamp(until)).all(), at
            assert set(part["version"]) == {2 if at in V2 else 1}
    assert set(rows["effective_from"]) == {pd.Timestamp(t) for t in SCHEDULE}


def test_each_scoring_uses_the_features_of_its_day(demo_db, rows):
    with demo_db.engine.connect() as conn:
        inputs = load_feature_inputs(conn=conn)
    for at in SCHEDULE:
        spec = preset("value_3" if at in V2 else "value_3_40_30_30")
        features = compute_features(inputs, population="owners", as_of=at.date())
        want = assignments_frame(Scorer(spec).fit(features).score(), spec)
        got = rows[rows["effective_from"] == pd.Timestamp(at)].sort_values("customer_id")
        assert got["customer_id"].tolist() == want["customer_id"].tolist()
        assert got["tier"].tolist() == want["tier"].tolist(), at
        assert got["score"].to_numpy() == pytest.approx(want["score"].to_numpy(), abs=1e-4)


def test_at_most_one_owner_assignment_in_force_at_any_time(demo_db, rows):
    # plain SQL: no two owners assignments of a customer whose [from, to) intervals overlap
    overlap = sa.text(
        "SELECT COUNT(*) FROM tier_assignments a JOIN tier_assignments b "
        "ON a.customer_id = b.customer_id AND a.id < b.id "
        "JOIN scoring_schemes sa ON sa.id = a.scheme_id JOIN scoring_schemes sb ON sb.id = b.scheme_id "
        "WHERE sa.population = 'owners' AND sb.population = 'owners' "
        "AND a.effective_from < COALESCE(b.effective_to, '9999-12-31') "
        "AND b.effective_from < COALESCE(a.effective_to, '9999-12-31')"
    )
    with demo_db.engine.connect() as conn:
        assert conn.execute(overlap).scalar_one() == 0
        owners = owners_on(conn, demo_db.as_of)
    # the same in pandas: each customer's assignments form one chain, each ending where the next begins
    nxt = rows.groupby("customer_id")["effective_from"].shift(-1)
    ends = rows["effective_to"].fillna(NEVER)
    assert (rows["effective_from"] < ends).all()
    assert (nxt.isna() | (ends == nxt)).all()
    assert (rows["effective_to"].isna() == nxt.isna()).all()  # only the last one is open
    assert set(rows.loc[rows["effective_to"].isna(), "customer_id"]) == owners
    # and through the pages' definition, at each scoring instant, just after it and at a day's end
    f = ov.Filters(demo_db.as_of, demo_db.as_of)
    instants = [t + d for t in SCHEDULE for d in (dt.timedelta(0), dt.timedelta(seconds=1))]
    instants += [tr.end_of_day(tr.year_before(demo_db.as_of)), tr.end_of_day(demo_db.as_of)]
    with demo_db.engine.connect() as conn:
        for at in instants:
            got = tr.tiers_at(conn=conn, filters=f, at=at)
            assert got["customer_id"].is_unique, at
            # in force means effective_from < at: at the first publish's instant nothing is in force yet
            assert (len(got) == 0) == (at == V1_PUBLISHED), at


def test_year_over_year_has_last_years_tiers(demo_db, rows):
    f = ov.Filters(demo_db.as_of.replace(day=1), demo_db.as_of)
    with demo_db.engine.connect() as conn:
        yoy = tr.region_tiers_yoy(conn=conn, filters=f)
    # a year before 2026-06-30 is the end of 2025-06-30: the rescore of that morning is in force
    before = pd.Series(tiers_written_at(rows, V1_RESCORED[0])).value_counts()
    now = pd.Series(tiers_written_at(rows, V2_RESCORED)).value_counts()
    totals = yoy.groupby("tier")[["customers_before", "customers"]].sum()
    assert totals["customers_before"].to_dict() == before.to_dict()
    assert totals["customers"].to_dict() == now.to_dict()
    assert (totals["customers_before"] > 0).all() and (totals["customers"] > 0).all()


def _moves(a: dict[int, str], b: dict[int, str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for c in set(a) | set(b):
        key = (a.get(c, tr.UNTIERED), b.get(c, tr.UNTIERED))
        out[key] = out.get(key, 0) + 1
    return out


def _cells(moves: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r.from_tier, r.to_tier): int(r.customers) for r in moves.itertuples() if r.customers}


def _assert_some_move_and_some_stay(cells: dict[tuple[str, str], int]) -> None:
    tiered = {k: n for k, n in cells.items() if tr.UNTIERED not in k}
    moved = sum(n for (x, y), n in tiered.items() if x != y)
    stayed = sum(n for (x, y), n in tiered.items() if x == y)
    assert moved > 0 and stayed > 0, cells
    assert len({x for x, y in tiered if x != y}) >= 2  # movement out of more than one tier


def test_migration_between_the_two_published_versions(demo_db, rows):
    f = ov.Filters(demo_db.as_of.replace(day=1), demo_db.as_of)
    with demo_db.engine.connect() as conn:
        versions = tr.published_versions(conn=conn, population="owners")
        assert versions["version"].tolist() == [2, 1]
        new, old = (int(i) for i in versions["id"])
        a = tr.version_tiers(conn=conn, filters=f, scheme_id=old)
        b = tr.version_tiers(conn=conn, filters=f, scheme_id=new)
    # each side is the version's latest scoring: version 1's last rescore, version 2's rescore on the as-of date
    v1_last, v2 = tiers_written_at(rows, V1_RESCORED[-1]), tiers_written_at(rows, V2_RESCORED)
    assert dict(zip(a["customer_id"], a["tier"], strict=True)) == v1_last
    assert dict(zip(b["customer_id"], b["tier"], strict=True)) == v2
    cells = _cells(
        tr.transition_from_frames(a, b, list(versions["labels"].iloc[1]), list(versions["labels"].iloc[0]))
    )
    assert cells == _moves(v1_last, v2)
    _assert_some_move_and_some_stay(cells)
    # the narrower top tier: more of version 1's 高价值 leave it than version 1's 普通 join it
    assert cells.get(("高价值", "普通"), 0) > cells.get(("普通", "高价值"), 0)


@pytest.mark.parametrize(
    ("day_a", "day_b", "written_a", "written_b"),
    [
        (dt.date(2025, 6, 30), dt.date(2026, 6, 30), V1_RESCORED[0], V2_RESCORED),  # a year, two versions
        (dt.date(2025, 3, 31), dt.date(2025, 9, 30), V1_PUBLISHED, V1_RESCORED[0]),  # one version, a rescore
    ],
    ids=["year", "rescore"],
)
def test_migration_between_two_dates(demo_db, rows, day_a, day_b, written_a, written_b):
    f = ov.Filters(day_b, day_b)
    with demo_db.engine.connect() as conn:
        a = tr.tiers_at(conn=conn, filters=f, at=tr.end_of_day(day_a))
        b = tr.tiers_at(conn=conn, filters=f, at=tr.end_of_day(day_b))
    want_a, want_b = tiers_written_at(rows, written_a), tiers_written_at(rows, written_b)
    cells = _cells(tr.transition_from_frames(a, b, [], []))
    assert cells == _moves(want_a, want_b)
    _assert_some_move_and_some_stay(cells)
    assert sum(n for (x, _), n in cells.items() if x == tr.UNTIERED) == len(set(want_b) - set(want_a)) > 0


def test_overview_previous_period_counts_tiers(demo_db, rows):
    f = ov.Filters(demo_db.as_of.replace(day=1), demo_db.as_of)  # June; the previous period ends 31 May
    with demo_db.engine.connect() as conn:
        previous = ov.tier_counts(conn=conn, filters=f.previous())
    want = pd.Series(tiers_written_at(rows, V1_RESCORED[-1])).value_counts()
    assert dict(zip(previous["tier"], previous["customers"], strict=True)) == want.to_dict()
    assert previous["customers"].sum() > 0


def test_the_first_weekly_review_lists_the_changes_of_the_last_week(demo_db, rows, tmp_path):
    path = tmp_path / "review.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)  # opening a meeting writes: work on a copy of the shared demo database
    engine = open_database(f"sqlite:///{path}")
    try:
        cutoff = dt.datetime.combine(demo_db.as_of, dt.time(18, 0))
        mid = review.open_meeting(
            engine, population="owners", week=demo_db.as_of, actor="经理", now=cutoff, explain=False
        )
        with engine.connect() as conn:
            meeting = review.get_meeting(conn=conn, meeting_id=mid)
            agenda = review.items(conn=conn, meeting_id=mid)
    finally:
        engine.dispose()
    # before the first meeting the baseline is just before the last write: the nightly job on the as-of date
    assert meeting["baseline_at"] == V2_RESCORED - dt.timedelta(seconds=1)
    old, new = tiers_written_at(rows, V2_PUBLISHED), tiers_written_at(rows, V2_RESCORED)
    changed = {c: (old.get(c), t) for c, t in new.items() if old.get(c) != t}
    got = {int(r.customer_id): (r.old_tier, r.new_tier) for r in agenda.itertuples()}
    assert got == changed
    # a week's changes of one scheme: some, not most of the owners
    assert 0 < len(changed) < 0.25 * len(new)


def test_leads_are_tiered_once_on_the_as_of_date(demo_db):
    with demo_db.engine.connect() as conn:
        leads = pd.read_sql(
            sa.text(
                "SELECT a.effective_from, a.effective_to FROM tier_assignments a "
                "JOIN scoring_schemes s ON s.id = a.scheme_id WHERE s.population = 'leads'"
            ),
            conn,
        )
    assert len(leads) > 0
    assert set(pd.to_datetime(leads["effective_from"])) == {pd.Timestamp(V2_RESCORED)}
    assert leads["effective_to"].isna().all()


def test_same_seed_same_history(demo_db, tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'again.sqlite'}")
    try:
        generate(engine, customers=300, seed=7, as_of=demo_db.as_of)  # the demo_db fixture's arguments
        tables = {
            "scoring_schemes": "SELECT * FROM scoring_schemes ORDER BY id",
            "tier_assignments": "SELECT * FROM tier_assignments ORDER BY id",
            "audit_log": "SELECT * FROM audit_log WHERE object_type = 'scoring_scheme' ORDER BY id",
        }
        for name, sql in tables.items():
            with engine.connect() as conn:
                again = pd.read_sql(sa.text(sql), conn)
            with demo_db.engine.connect() as conn:
                first = pd.read_sql(sa.text(sql), conn)
            assert len(first) > 0, name
            pdt.assert_frame_equal(again, first, check_exact=True, obj=name)
    finally:
        engine.dispose()


def test_every_mover_of_the_first_meeting_says_which_dimensions_moved_its_score(demo_db, rows, tmp_path):
    """Issue 12 item 9: the old points come from the assignment in force before (version 2's publish a week
    earlier, on that day's data), not from today's data, so every real move has its reasons."""
    path = tmp_path / "review.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    engine = open_database(f"sqlite:///{path}")
    try:
        cutoff = dt.datetime.combine(demo_db.as_of, dt.time(18, 0))
        mid = review.open_meeting(engine, population="owners", week=demo_db.as_of, actor="经理", now=cutoff)
        with engine.connect() as conn:
            agenda = review.items(conn=conn, meeting_id=mid)
            inputs = load_feature_inputs(conn=conn)
    finally:
        engine.dispose()
    assert len(agenda) > 0
    dims = list(preset("value_3")["dimensions"])
    # independent: each side's points by hand, with each day's features
    points = {
        day: Scorer(preset("value_3")).fit(compute_features(inputs, population="owners", as_of=day))
        for day in (V2_PUBLISHED.date(), V2_RESCORED.date())
    }
    for r in agenda.itertuples():
        assert r.reasons, f"customer {r.customer_id} moved {r.old_tier} → {r.new_tier} without a reason"
        assert {d for d, _ in r.reasons} <= set(dims)
        # every dimension that moved is listed (rounded to 0.1): together they make the score change
        assert sum(v for _, v in r.reasons) == pytest.approx(r.new_score - r.old_score, abs=0.05 * len(dims))
        by_day = {
            day: s.contributions(pd.Index(s.customer_id_).get_indexer([r.customer_id])).iloc[0]
            for day, s in points.items()
        }
        delta = by_day[V2_RESCORED.date()] - by_day[V2_PUBLISHED.date()]
        want = {d: round(float(delta[d]), 1) for d in dims if abs(delta[d]) >= 0.05}
        assert dict(r.reasons) == pytest.approx(want, abs=0.051)


def test_reasons_of_a_rescore_on_a_day_after_the_data_use_the_day_it_scored(demo_db, tmp_path):
    """The nightly job scores today's date even when no customer was added today (the data's last day is
    earlier); a lab publish scores the data's last day. Each side's points are those its stored score shows."""
    path = tmp_path / "review.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    engine = open_database(f"sqlite:///{path}")
    later = dt.datetime.combine(demo_db.as_of + dt.timedelta(days=40), dt.time(6, 0))
    try:
        from core.scoring.publishing import rescore

        rescore(engine, population="owners", as_of=later.date(), at=later)
        mid = review.open_meeting(
            engine, population="owners", week=later.date(), actor="经理", now=later + dt.timedelta(hours=3)
        )
        with engine.connect() as conn:
            agenda = review.items(conn=conn, meeting_id=mid)
    finally:
        engine.dispose()
    assert len(agenda) > 0
    for r in agenda.itertuples():
        assert r.reasons, f"customer {r.customer_id} moved {r.old_tier} → {r.new_tier} without a reason"
        assert sum(v for _, v in r.reasons) == pytest.approx(r.new_score - r.old_score, abs=0.15)
