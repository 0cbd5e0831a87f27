"""The in-memory facts give exactly the SQL path's figures; the disk snapshot never serves stale data."""

from __future__ import annotations

import ast
import datetime as dt
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.analytics import defeats as cd
from core.analytics import facts as cf
from core.analytics import facts_figures as ff
from core.analytics import facts_snapshot as snap
from core.analytics import followup, overview_totals
from core.analytics import funnel as fu
from core.analytics import overview as ov
from core.analytics import tier_report as tr
from core.demo.generator import generate
from core.storage.db import open_database, write_transaction
from core.storage.models import Lead
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 6, 30)
JUNE = ov.Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))

# period, store, region, channel and their combinations; one that matches nothing; one without any data
FILTER_SETS = [
    pytest.param(JUNE, id="june"),
    pytest.param(ov.Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31), store_ids=(2,)), id="march-store"),
    pytest.param(ov.Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30), region_ids=(1, 3)), id="half-regions"),
    pytest.param(
        ov.Filters(dt.date(2025, 10, 1), dt.date(2025, 12, 31), channel_ids=(2, 5)), id="q4-channels"
    ),
    pytest.param(
        ov.Filters(dt.date(2024, 1, 1), dt.date(2026, 6, 30), (1,), (2, 4), (1, 3, 7)), id="years-all-filters"
    ),
    pytest.param(ov.Filters(dt.date(2026, 6, 20), dt.date(2026, 6, 30), region_ids=(999,)), id="no-match"),
    pytest.param(ov.Filters(dt.date(2010, 1, 1), dt.date(2010, 1, 31)), id="before-data"),
]


def facts_of(engine) -> tuple[cf.EventFacts, cf.TierFacts]:
    with engine.connect() as conn:
        return cf.read_event_facts(conn, cf.facts_key(conn)), cf.read_tier_facts(conn, cf.tier_key(conn))


def people_of(engine):
    def people(ids: list[int]) -> pd.DataFrame:
        with engine.connect() as conn:
            return cd._people(conn, ids)

    return people


def assert_same_figures(engine, facts: cf.EventFacts, tiers: cf.TierFacts, f: ov.Filters) -> None:
    """Every figure of the four pages, from the facts and from the SQL path, for one filter set."""
    latest = AS_OF
    with engine.connect() as conn:
        # funnel page
        sql_leads = fu.period_leads(conn=conn, filters=f)
        mem_leads = ff.period_leads(facts, f)
        pd.testing.assert_frame_equal(mem_leads, sql_leads)
        for fn in (fu.funnel_from_leads, fu.stage_durations_from_leads, fu.first_contact_speed_from_leads):
            pd.testing.assert_frame_equal(fn(mem_leads), fn(sql_leads))
        for dimension in fu.DIMENSIONS:
            pd.testing.assert_frame_equal(
                fu.funnel_by_from_leads(conn, mem_leads, dimension),
                fu.funnel_by(conn=conn, filters=f, dimension=dimension),
            )
        # defeat page
        pd.testing.assert_frame_equal(ff.defeat_figure(facts, "defeats", f), cd.defeats(conn=conn, filters=f))
        for what, kwargs in [
            ("pareto", {}),
            ("price_sub_reasons", {}),
            ("monthly_trend", {}),
            *[("breakdown", {"by": by, "lang": lang}) for by in cd.BREAKDOWNS for lang in ("zh", "en")],
            ("breakdown", {"by": "advisor", "show_pii": True}),
            ("reactivation_candidates", {"limit": 200, "lang": "zh"}),
            ("reactivation_candidates", {"limit": 7, "lang": "en", "show_pii": True}),
        ]:
            mem = ff.defeat_figure(facts, what, f, people=people_of(engine), **kwargs)
            pd.testing.assert_frame_equal(mem, getattr(cd, what)(conn=conn, filters=f, **kwargs), obj=what)
        assert ff.defeat_figure(facts, "win_back", f) == cd.win_back(conn=conn, filters=f)
        # overview page
        _same_overview(
            ff.overview(facts, tiers, f, latest, ov.published_scheme(conn=conn)),
            overview_totals.overview(conn=conn, filters=f, latest_day=latest),
        )
        for current in (True, False):
            for g in (f, f.previous()):
                assert ff.overdue_follow_ups(facts, g, current=current) == followup.overdue_follow_ups(
                    conn=conn, filters=g, current=current
                ), (g, current)
        # tiers page (SQL orders tiers by the database's collation: compare in one order)
        key = ["region_id", "tier"]
        sql_regions = tr.tiers_by_region(conn=conn, filters=f)
        if engine.dialect.name != "sqlite":
            sql_regions = sql_regions.sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(ff.tiers_by_region(tiers, facts, f), sql_regions)
        for tier in [None, *ff.tier_counts(tiers, facts, f, ov.published_scheme(conn=conn))["tier"]]:
            for limit, show_pii in ((200, False), (5, True)):
                pd.testing.assert_frame_equal(
                    ff.tier_members(
                        tiers, facts, f, tier, people=people_of(engine), limit=limit, show_pii=show_pii
                    ),
                    tr.tier_members(conn=conn, filters=f, tier=tier, limit=limit, show_pii=show_pii),
                    obj=f"tier_members {tier}",
                )


def _same_overview(mem: dict, sql: dict) -> None:
    assert mem["current"] == sql["current"]
    assert mem["previous"] == sql["previous"]
    pd.testing.assert_frame_equal(mem["tiers"], sql["tiers"])
    pd.testing.assert_frame_equal(mem["tiers_previous"], sql["tiers_previous"])


@pytest.fixture(scope="module")
def demo_facts(demo_db):
    return facts_of(demo_db.engine)


@pytest.mark.parametrize("f", FILTER_SETS)
def test_facts_equal_the_sql_path_on_the_demo(demo_db, demo_facts, f):
    assert_same_figures(demo_db.engine, *demo_facts, f)


def test_the_tested_filter_sets_have_data(demo_db, demo_facts):
    """The comparisons above compare something: leads, defeats, candidates and tiers in the main periods."""
    facts, tiers = demo_facts
    assert len(ff.period_leads(facts, JUNE)) > 20
    assert len(ff.defeats(facts, JUNE)) > 10
    with demo_db.engine.connect() as conn:
        scheme = ov.published_scheme(conn=conn)
    assert ff.tier_counts(tiers, facts, JUNE, scheme)["customers"].sum() > 50
    wide = ov.Filters(dt.date(2024, 1, 1), dt.date(2026, 6, 30))
    assert ff.overdue_follow_ups(facts, JUNE.previous(), current=False) > 0
    assert len(ff.defeat_figure(facts, "reactivation_candidates", wide, people=people_of(demo_db.engine))) > 5


def test_facts_equal_the_sql_path_on_every_backend(db_url):
    engine = open_database(db_url)
    try:
        generate(engine, customers=150, seed=11, as_of=AS_OF)
        facts, tiers = facts_of(engine)
        assert len(facts.leads["id"]) > 100
        for f in (
            JUNE,
            ov.Filters(dt.date(2025, 7, 1), dt.date(2026, 6, 30), store_ids=(1,)),
            ov.Filters(dt.date(2024, 1, 1), dt.date(2026, 6, 30), region_ids=(2, 5), channel_ids=(1, 4)),
            ov.Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), channel_ids=(999,)),
        ):
            assert_same_figures(engine, facts, tiers, f)
    finally:
        engine.dispose()


# ---- the snapshot ---------------------------------------------------------------------------------------------


def _same_facts(a: cf.EventFacts, b: cf.EventFacts) -> None:
    assert a.key == b.key
    for name in a.leads:
        np.testing.assert_array_equal(a.leads[name], b.leads[name])
    for name in a.defeats:
        np.testing.assert_array_equal(a.defeats[name], b.defeats[name])
    for name, cats in a.lead_categories.items():
        np.testing.assert_array_equal(cats.codes, b.lead_categories[name].codes)
        assert cats.categories.tolist() == b.lead_categories[name].categories.tolist()
    np.testing.assert_array_equal(a.follow_up_keys, b.follow_up_keys)
    np.testing.assert_array_equal(a.last_new_car, b.last_new_car)


@pytest.fixture
def small_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'small.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=80, seed=3, as_of=AS_OF)
    yield url, engine
    engine.dispose()


def _add_lead(engine) -> int:
    """A copy of the newest lead, created at 00:00:01 on the data's last day (inside the default period)."""
    with write_transaction(engine) as conn:
        last = ov.data_extent(conn=conn)[1]
        row = conn.execute(sa.select(Lead).order_by(Lead.id.desc()).limit(1)).mappings().one()
        values = {k: v for k, v in row.items() if k != "id"}
        values["created_at"] = dt.datetime.combine(last, dt.time(0, 0, 1))
        return int(conn.execute(sa.insert(Lead).values(**values)).inserted_primary_key[0])


def test_snapshot_round_trip_and_reuse(small_db, tmp_path):
    url, engine = small_db
    folder = tmp_path / "cache"
    first = snap.load_event_facts(engine, cache_dir=folder)
    files = list(folder.glob("events-*.facts"))
    assert len(files) == 1
    again = snap.load_events(folder, first.key)
    assert again is not None
    _same_facts(first, again)
    advisors = first.names["advisors"]["name"].tolist()
    data = files[0].read_bytes()
    for encoding in ("utf-8", "utf-32-le"):  # no personal data on disk (text arrays are stored as UTF-32)
        assert advisors and not any(n.encode(encoding) in data for n in advisors)
    assert again.names == {}
    again = snap.load_event_facts(engine, cache_dir=folder)  # from the snapshot, names from the database
    pd.testing.assert_frame_equal(again.names["advisors"], first.names["advisors"])
    for f in (JUNE, ov.Filters(dt.date(2025, 1, 1), dt.date(2026, 6, 30), region_ids=(2,))):
        pd.testing.assert_frame_equal(ff.period_leads(again, f), ff.period_leads(first, f))
        pd.testing.assert_frame_equal(ff.defeats(again, f), ff.defeats(first, f))
    tiers = snap.load_tier_facts(engine, cache_dir=folder)
    back = snap.load_tiers(folder, tiers.key)
    np.testing.assert_array_equal(back.score, tiers.score)
    assert back.tier.categories.tolist() == tiers.tier.categories.tolist()


def test_a_written_row_makes_the_snapshot_ignored_and_rebuilt(small_db, tmp_path):
    url, engine = small_db
    folder = tmp_path / "cache"
    before = snap.load_event_facts(engine, cache_dir=folder)
    old_file = next(folder.glob("events-*.facts"))
    new_id = _add_lead(engine)
    with engine.connect() as conn:
        assert cf.facts_key(conn) != before.key
    assert new_id not in before.leads["id"]
    after = snap.load_event_facts(engine, cache_dir=folder)
    assert new_id in after.leads["id"]  # not the stale snapshot
    assert not old_file.exists()  # the older version's file is gone
    assert len(list(folder.glob("events-*.facts"))) == 1
    assert snap.load_events(folder, before.key) is None
    reloaded = snap.load_events(folder, after.key)
    assert new_id in reloaded.leads["id"]
    with engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
        f = ov.Filters(last, last)
        pd.testing.assert_frame_equal(ff.period_leads(reloaded, f), fu.period_leads(conn=conn, filters=f))
    assert new_id in ff.period_leads(reloaded, f)["id"].tolist()


def test_a_defeat_sent_back_in_place_makes_new_facts(small_db, tmp_path):
    """Returning a defeat updates rows without a new id; its audit entry still changes the facts' version."""
    from core.workflow import defeat_approval

    url, engine = small_db
    folder = tmp_path / "cache"
    with engine.connect() as conn:
        lead = conn.execute(sa.select(Lead.id).where(Lead.status == "open").order_by(Lead.id)).scalar()
    did = defeat_approval.request_defeat(
        engine, lead_id=lead, reason="price", sub_reason="excuse", actor="staff"
    )
    before = snap.load_event_facts(engine, cache_dir=folder)
    defeat_approval.return_defeat(engine, defeat_id=did, actor="manager", note="还在比价")
    with engine.connect() as conn:
        assert cf.facts_key(conn) != before.key
        f = ov.Filters(
            dt.date(2020, 1, 1), dt.date.today() + dt.timedelta(days=1)
        )  # the request is dated now
        expected = ff.defeats(snap.load_event_facts(engine, cache_dir=folder), f)
        from core.analytics import defeats as cd

        pd.testing.assert_frame_equal(expected, cd.defeats(conn=conn, filters=f))
    # a pending request is not a defeat yet (core.analytics.defeats: only recorded or approved ones count), nor one sent
    # back; before, a pending request counted on the defeat page but not on the overview
    assert did not in set(ff.defeats(before, f)["defeat_id"].dropna())
    assert did not in set(expected["defeat_id"].dropna())


def test_a_defeat_approved_in_place_makes_new_facts_that_count_it(small_db, tmp_path):
    """Approving updates the request and its lead without a new id; the new facts count the defeat, as the
    overview does."""
    from core.analytics import defeats as cd
    from core.workflow import defeat_approval

    url, engine = small_db
    folder = tmp_path / "cache"
    with engine.connect() as conn:
        lead = conn.execute(sa.select(Lead.id).where(Lead.status == "open").order_by(Lead.id)).scalar()
    did = defeat_approval.request_defeat(engine, lead_id=lead, reason="competitor", actor="staff")
    f = ov.Filters(dt.date(2020, 1, 1), dt.date.today() + dt.timedelta(days=1))  # the request is dated now
    before = snap.load_event_facts(engine, cache_dir=folder)
    with engine.connect() as conn:
        assert cd.pending_requests(conn=conn, filters=f) == 1
        assert ff.lead_figures(before, f)["defeated"] == len(ff.defeats(before, f))
    defeat_approval.approve_defeat(engine, defeat_id=did, actor="manager")
    after = snap.load_event_facts(engine, cache_dir=folder)
    with engine.connect() as conn:
        assert after.key != before.key and cd.pending_requests(conn=conn, filters=f) == 0
        pd.testing.assert_frame_equal(ff.defeats(after, f), cd.defeats(conn=conn, filters=f))
        assert ov.lead_figures(conn=conn, filters=f)["defeated"] == len(ff.defeats(after, f))
    assert did not in set(ff.defeats(before, f)["defeat_id"].dropna())
    assert did in set(ff.defeats(after, f)["defeat_id"].dropna())


def test_a_snapshot_of_another_version_or_a_broken_file_is_ignored(small_db, tmp_path):
    url, engine = small_db
    folder = tmp_path / "cache"
    facts = snap.load_event_facts(engine, cache_dir=folder)
    path = next(folder.glob("events-*.facts"))
    # a file renamed to the name of another version still carries its own key inside
    other = snap._file(folder, "events", "f1:other")
    path.rename(other)
    assert snap.load_events(folder, "f1:other") is None
    # a truncated file (e.g. copied while written by hand) is ignored, and the next load rewrites it
    snap.save_events(folder, facts)
    path = next(p for p in folder.glob("events-*.facts") if p != other)
    path.write_bytes(path.read_bytes()[:1000])
    assert snap.load_events(folder, facts.key) is None
    again = snap.load_event_facts(engine, cache_dir=folder)
    _same_facts(facts, again)
    assert snap.load_events(folder, facts.key) is not None


def test_concurrent_writers_never_leave_a_broken_snapshot(small_db, tmp_path):
    url, engine = small_db
    folder = tmp_path / "cache"
    facts = snap.load_event_facts(engine, cache_dir=None)
    errors: list[BaseException] = []
    loaded: list[object] = []

    def writer() -> None:
        try:
            for _ in range(5):
                snap.save_events(folder, facts)
                loaded.append(snap.load_events(folder, facts.key))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(x is not None for x in loaded)  # a reader never saw a half-written file
    assert not list(folder.glob("*.tmp"))
    _same_facts(facts, snap.load_events(folder, facts.key))


def test_snapshot_folder(tmp_path):
    db = tmp_path / "x.sqlite"
    assert snap.snapshot_dir(f"sqlite:///{db}", environ={}) == tmp_path / ".facts-cache" / "x.sqlite"
    a = snap.snapshot_dir("postgresql+psycopg://u:one@h/db", environ={"FACTS_CACHE_DIR": str(tmp_path)})
    b = snap.snapshot_dir("postgresql+psycopg://u:two@h/db", environ={"FACTS_CACHE_DIR": str(tmp_path)})
    c = snap.snapshot_dir("postgresql+psycopg://u:one@h/other", environ={"FACTS_CACHE_DIR": str(tmp_path)})
    assert a == b != c  # one folder per database, whatever the password; no password in the name
    assert "one" not in str(a)


def test_an_unwritable_folder_does_not_stop_the_app(small_db, tmp_path):
    url, engine = small_db
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    facts = snap.load_event_facts(engine, cache_dir=blocker / "cache")
    assert len(facts.leads["id"]) > 0


def test_core_facts_never_import_streamlit():
    for name in ("facts.py", "facts_snapshot.py", "facts_figures.py"):
        tree = ast.parse((ROOT / "core" / "analytics" / name).read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any(n.split(".")[0] == "streamlit" for n in names), name


# ---- through the app ------------------------------------------------------------------------------------------


@pytest.fixture
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(snap.ENV_VAR, raising=False)


def test_the_pages_show_a_new_row_on_the_next_rerun(small_db, _no_env_url):
    """Snapshot beside the database, facts in st.cache_resource: a lead written between two reruns shows."""
    from streamlit.testing.v1 import AppTest

    url, engine = small_db
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, "manager")
    at.run()
    assert not at.exception
    before = int(next(m.value for m in at.metric if m.label == "新增线索").replace(",", ""))
    folder = snap.snapshot_dir(url)
    assert len(list(folder.glob("events-*.facts"))) == 1  # written by the first load
    _add_lead(engine)
    at.run()
    assert not at.exception
    after = int(next(m.value for m in at.metric if m.label == "新增线索").replace(",", ""))
    assert after == before + 1
    with engine.connect() as conn:
        assert snap.load_events(folder, cf.facts_key(conn)) is not None  # rebuilt for the new version


def test_cli_builds_the_snapshot(small_db, capsys, monkeypatch):
    from core.cli.main import main

    monkeypatch.delenv(snap.ENV_VAR, raising=False)
    url, engine = small_db
    assert main(["facts", "build", "--db", url]) == 0
    assert "MB" in capsys.readouterr().out
    with engine.connect() as conn:
        assert snap.load_events(snap.snapshot_dir(url), cf.facts_key(conn)) is not None
        assert snap.load_tiers(snap.snapshot_dir(url), cf.tier_key(conn)) is not None


def test_cli_says_what_to_set_for_a_database_without_a_snapshot_folder(capsys, monkeypatch):
    from core.cli.main import main

    monkeypatch.delenv(snap.ENV_VAR, raising=False)
    assert main(["facts", "build", "--db", "sqlite://"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "FACTS_CACHE_DIR" in err
