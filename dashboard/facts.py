"""The analysis pages' data: the in-memory facts, shared by every session, and the figures per filter set.

The facts (:mod:`core.analytics.facts`) load once per data version into ``st.cache_resource`` (one copy per process,
read-only, never pickled), from the disk snapshot when it holds that version (:mod:`core.analytics.facts_snapshot`);
every filter change is then a numpy filter of those arrays (:mod:`core.analytics.facts_figures`). Per filter set the
figures are small, and ``st.cache_data`` keeps them, keyed on the facts' version and the filters.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import channel_roi as cr
from core.analytics import facts as cf
from core.analytics import facts_analysis as fa
from core.analytics import facts_figures as ff
from core.analytics import facts_snapshot as snap
from core.analytics.overview import Filters
from core.storage.models import Customer
from dashboard import db


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@st.cache_resource(show_spinner=False, max_entries=1)
def _events(url: str, key: str) -> cf.EventFacts:
    # max_entries=1: a new version replaces the old arrays instead of holding both
    return snap.load_event_facts(db._engine(url), cache_dir=snap.snapshot_dir(url))


@st.cache_resource(show_spinner=False, max_entries=1)
def _tiers(url: str, key: str) -> cf.TierFacts:
    return snap.load_tier_facts(db._engine(url), cache_dir=snap.snapshot_dir(url))


def keys(engine: Engine) -> tuple[str, str]:
    """(event facts version, tier facts version): a few MAX(id) lookups, done on every rerun."""
    with engine.connect() as conn:
        return cf.facts_key(conn), cf.tier_key(conn)


def events(engine: Engine) -> cf.EventFacts:
    """The event facts of the current version (loaded on first use of a version, then shared)."""
    key, _ = keys(engine)
    return _events(_url(engine), key)


def tiers(engine: Engine) -> cf.TierFacts:
    """The tier facts of the current version."""
    _, key = keys(engine)
    return _tiers(_url(engine), key)


def _people(engine: Engine, ids: list[int]) -> pd.DataFrame:
    """customer_id, name, phone of at most a few hundred listed customers (personal data is not cached)."""
    rows: list = []
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows.extend(
                conn.execute(
                    sa.select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(chunk))
                ).all()
            )
    return pd.DataFrame(rows, columns=["customer_id", "name", "phone"])


def leads(engine: Engine, f: Filters) -> pd.DataFrame:
    """The leads created in the period (as :func:`core.analytics.funnel.period_leads`), from the facts.

    Not cached here: the funnel page caches it (a second cached copy of a 100k-row frame per filter set
    only cost memory; filtering the facts again takes tens of milliseconds)."""
    key, _ = keys(engine)
    return ff.period_leads(_events(_url(engine), key), f)


@st.cache_resource(show_spinner=False, max_entries=4)
def _defeats_frame(url: str, key: str, f: Filters) -> pd.DataFrame:
    # built once per filter set and shared by the page's seven figures (the functions do not modify it)
    return ff.defeats(_events(url, key), f)


@st.cache_data(show_spinner=False, ttl=600, max_entries=64)
def _defeat_figure(_engine: Engine, key: str, what: str, f: Filters, kwargs: tuple) -> object:
    url = _url(_engine)
    return ff.defeat_figure(
        _events(url, key),
        what,
        f,
        people=lambda ids: _people(_engine, ids),
        frame=_defeats_frame(url, key, f),
        **dict(kwargs),
    )


def defeat_figure(engine: Engine, version: str, what: str, f: Filters, **kwargs) -> object:
    """A figure of the defeat page by the name of its :mod:`core.analytics.defeats` function; a function the facts do
    not cover (yet) runs on the database, cached on the data version as before."""
    if what not in ff.DEFEAT_FIGURES:
        return _defeat_sql(engine, version, what, f, tuple(sorted(kwargs.items())))
    return _defeat_figure(engine, keys(engine)[0], what, f, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, ttl=600)
def _defeat_sql(_engine: Engine, version: str, what: str, f: Filters, kwargs: tuple) -> object:
    from core.analytics import defeats as cd

    with _engine.connect() as conn:
        return getattr(cd, what)(conn=conn, filters=f, **dict(kwargs))


@st.cache_data(show_spinner=False, ttl=600, max_entries=64)
def _overview(_engine: Engine, keys_: tuple[str, str], version: str, f: Filters, latest_day) -> dict:
    url = _url(_engine)
    scheme = db.published_scheme(_engine, version)
    return ff.overview(_events(url, keys_[0]), _tiers(url, keys_[1]), f, latest_day, scheme)


def overview(engine: Engine, version: str, f: Filters, latest_day: dt.date | None) -> dict:
    """Every overview figure (as :func:`core.analytics.overview.overview`), from the facts."""
    return _overview(engine, keys(engine), version, f, latest_day)


@st.cache_data(show_spinner=False, ttl=600, max_entries=64)
def _tiers_by_region(_engine: Engine, keys_: tuple[str, str], f: Filters) -> pd.DataFrame:
    url = _url(_engine)
    return ff.tiers_by_region(_tiers(url, keys_[1]), _events(url, keys_[0]), f)


def tiers_by_region(engine: Engine, version: str, f: Filters) -> pd.DataFrame:
    """Customers per region and tier (as :func:`core.analytics.tier_report.tiers_by_region`), from the facts."""
    return _tiers_by_region(engine, keys(engine), f)


@st.cache_data(show_spinner=False, ttl=600, max_entries=64)
def _tier_members(
    _engine: Engine, keys_: tuple[str, str], f: Filters, tier: str | None, show_pii: bool
) -> pd.DataFrame:
    url = _url(_engine)
    return ff.tier_members(
        _tiers(url, keys_[1]),
        _events(url, keys_[0]),
        f,
        tier,
        people=lambda ids: _people(_engine, ids),
        show_pii=show_pii,
    )


def tier_members(
    engine: Engine, version: str, f: Filters, tier: str | None, show_pii: bool = False
) -> pd.DataFrame:
    """A tier's customers, best first (as :func:`core.analytics.tier_report.tier_members`), from the facts."""
    return _tier_members(engine, keys(engine), f, tier, show_pii)


# ---- channel ROI and tiers by region -------------------------------------------------------------------------
# Frames of up to a million rows, shared read-only by the pages' pure functions (which never modify their
# inputs): st.cache_resource hands out the object itself, where st.cache_data would copy it on every rerun.


@st.cache_data(show_spinner=False, ttl=600)
def _roi_reference(url: str, version: str) -> fa.RoiReference:
    with db._engine(url).connect() as conn:
        return fa.roi_reference(conn=conn)


@st.cache_resource(show_spinner=False, max_entries=8)
def _roi_frames(url: str, key: str, version: str, f: Filters) -> cr.RoiFrames:
    return fa.roi_frames(_events(url, key), f, _roi_reference(url, version))


def roi_frames(engine: Engine, version: str, f: Filters) -> cr.RoiFrames:
    """What the channel ROI figures are computed from (as :func:`core.analytics.channel_roi.roi_frames`), from the
    facts and the spend rows (read once per data version)."""
    return _roi_frames(_url(engine), keys(engine)[0], version, f)


@st.cache_resource(show_spinner=False, max_entries=8)
def _tiers_at(url: str, keys_: tuple[str, str], f: Filters, at: dt.datetime) -> pd.DataFrame:
    return fa.tiers_at(_tiers(url, keys_[1]), _events(url, keys_[0]), f, at)


def tiers_at(engine: Engine, f: Filters, at: dt.datetime) -> pd.DataFrame:
    """Each filtered customer's owners tier in force at ``at`` (as :func:`core.analytics.tier_report.tiers_at`)."""
    return _tiers_at(_url(engine), keys(engine), f, at)


@st.cache_resource(show_spinner=False, max_entries=4)
def _version_tiers(url: str, keys_: tuple[str, str], f: Filters, scheme_id: int) -> pd.DataFrame:
    return fa.version_tiers(_tiers(url, keys_[1]), _events(url, keys_[0]), f, scheme_id)


def version_tiers(engine: Engine, f: Filters, scheme_id: int) -> pd.DataFrame:
    """Each filtered customer's latest assignment from one owners scheme version (as
    :func:`core.analytics.tier_report.version_tiers`); the facts hold the owners schemes only."""
    return _version_tiers(_url(engine), keys(engine), f, scheme_id)


@st.cache_data(show_spinner=False, ttl=600, max_entries=64)
def _overview_ids(
    _engine: Engine, keys_: tuple[str, str], f: Filters, latest_day, figure: str, tier: str | None
) -> np.ndarray:
    url = _url(_engine)
    return ff.overview_figure_ids(
        _events(url, keys_[0]), _tiers(url, keys_[1]), f, figure, latest_day=latest_day, tier=tier
    )


def overview_ids(
    engine: Engine, f: Filters, latest_day: dt.date | None, figure: str, tier: str | None = None
) -> np.ndarray:
    """The lead ids (customer ids for a tier) behind one overview figure, from the facts
    (:func:`core.analytics.facts_figures.overview_figure_ids`): as many as the figure."""
    return _overview_ids(engine, keys(engine), f, latest_day, figure, tier)
