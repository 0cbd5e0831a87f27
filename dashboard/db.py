"""The engine for this app process, and cached reads keyed on an explicit data version."""

from __future__ import annotations

import os

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import overview as ov
from core.storage.db import DatabaseError, mask_url, open_database
from core.storage.models import Channel, Meta, Region, Store
from core.storage.settings import SECRETS_PATH, Settings, load_settings
from dashboard.i18n import t


def _secrets_url() -> str | None:
    # st.secrets covers .streamlit/secrets.toml beside the working directory and AppTest's at.secrets
    try:
        value = st.secrets.get("database_url")
        if value is None and "database" in st.secrets:
            value = st.secrets["database"].get("url")
        return str(value) if value else None
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitSecretNotFoundError):
        return None


def settings() -> Settings:
    """DATABASE_URL, else database_url from the secrets (Streamlit's or the project's file), else the default."""
    if os.environ.get("DATABASE_URL"):
        return Settings(os.environ["DATABASE_URL"], "env")
    secret = _secrets_url()
    if secret:
        return Settings(secret, "secrets")
    return load_settings(environ={}, secrets_path=SECRETS_PATH)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_database(url)


def get_engine() -> Engine:
    """The app's engine; on failure, a clear message on screen and the page stops (no traceback)."""
    s = settings()
    try:
        return _engine(s.database_url)
    except DatabaseError as exc:
        st.error(f"**{t('db.error.title')}**\n\n{t('db.error.' + exc.kind)}")
        if exc.kind.startswith("key_"):  # the database answered; its data key is what to fix
            st.stop()
        st.caption(t("db.error.tried", url=mask_url(s.database_url), source=t("db.source." + s.source)))
        st.caption(t("db.error.detail", detail=exc.detail[:500]))
        st.info(t("db.error.howto"))
        st.stop()
        raise  # unreachable: st.stop() raises


_EVENT_TABLES = ("customers", "leads", "follow_ups", "purchases", "satisfaction", "event_attendances")
_STATE_TABLES = ("tier_overrides", "tier_assignments", "scoring_schemes")
# every write of the app is audited, so the newest audit entry also catches updates (a decision, an approval)
# that leave the tables' highest ids as they were; but not a sign-in, an export or an account change, which
# must not invalidate every cached figure
_QUIET_ACTIONS = "action NOT LIKE 'login%' AND action NOT LIKE 'logout%' AND action NOT IN ('export') "
_QUIET_ACTIONS += "AND action NOT LIKE 'user.%' AND action NOT LIKE 'role.%'"


def _versions(engine: Engine) -> tuple[str, str]:
    """(events version, state version): the highest id of the event tables, and of the tables a publish,
    an override or a saved draft writes (plus the newest audited change). Shared by all sessions, so one
    person's change refreshes everyone."""
    tables = _EVENT_TABLES + _STATE_TABLES
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t})" for t in tables)
    sql += f", (SELECT MAX(id) FROM audit_log WHERE {_QUIET_ACTIONS})"
    with engine.connect() as conn:
        row = [str(x) for x in conn.execute(sa.text(sql)).one()]
    return "|".join(row[: len(_EVENT_TABLES)]), "|".join(row[len(_EVENT_TABLES) :])  # audit: in the state


def data_version(engine: Engine) -> str:
    """Changes whenever data is written: the key of every cached read."""
    events, state = _versions(engine)
    return events + "#" + state


def bump_data_version() -> None:
    """After this session wrote data: drop cached reads (the version key changes by itself, too)."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, ttl=600)
def reference(_engine: Engine, version: str) -> dict[str, pd.DataFrame]:
    """Regions, stores and channels (id, code, name, name_en)."""
    with _engine.connect() as conn:
        return {
            "regions": pd.read_sql(
                sa.select(Region.id, Region.code, Region.name, Region.name_en).order_by(Region.id), conn
            ),
            "stores": pd.read_sql(
                sa.select(Store.id, Store.code, Store.name, Store.name_en).order_by(Store.id), conn
            ),
            "channels": pd.read_sql(
                sa.select(Channel.id, Channel.code, Channel.name, Channel.name_en).order_by(Channel.id), conn
            ),
        }


@st.cache_data(show_spinner=False, ttl=600)
def customer_count(_engine: Engine, version: str) -> int:
    with _engine.connect() as conn:
        return ov.customer_count(conn=conn)


@st.cache_data(show_spinner=False, ttl=600)
def data_extent(_engine: Engine, version: str):
    with _engine.connect() as conn:
        return ov.data_extent(conn=conn)


@st.cache_data(show_spinner=False, ttl=600)
def meta(_engine: Engine, version: str) -> dict[str, str]:
    with _engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(sa.select(Meta.key, Meta.value))}


@st.cache_data(show_spinner=False, ttl=600)
def published_scheme(_engine: Engine, version: str, population: str = "owners") -> dict | None:
    with _engine.connect() as conn:
        return ov.published_scheme(conn=conn, population=population)


@st.cache_data(show_spinner=False, ttl=600)
def table_counts(_engine: Engine, version: str) -> pd.DataFrame:
    from core.storage.models import Base

    rows = []
    with _engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows.append(
                (table.name, int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()))
            )
    return pd.DataFrame(rows, columns=["table", "rows"])


@st.cache_resource(show_spinner=False, max_entries=2)
def _lab_base(url: str, events_version: str, population: str):
    from core.scoring.lab_data import load_lab_data

    return load_lab_data(_engine(url), population=population)


@st.cache_resource(show_spinner=False, max_entries=4)
def _lab_with_state(url: str, events_version: str, state_version: str, population: str):
    from core.scoring.lab_data import published_state, with_published

    base = _lab_base(url, events_version, population)
    with _engine(url).connect() as conn:
        tiers, version, overrides = published_state(
            conn=conn, population=population, customer_id=base.features.index.to_numpy(), as_of=base.as_of
        )
    return with_published(base, tiers, version, overrides)


def lab_data(engine: Engine, version: str, population: str):
    """The lab's prepared arrays, shared read-only by every session. The slow part (features from the event
    tables) reloads only when events change; a publish, a draft or an override reloads only the tiers."""
    events, state = version.split("#", 1)
    return _lab_with_state(engine.url.render_as_string(hide_password=False), events, state, population)


@st.cache_data(show_spinner=False, ttl=600)
def advisors(_engine: Engine, version: str) -> pd.DataFrame:
    from core.storage.models import Advisor

    with _engine.connect() as conn:
        return pd.read_sql(
            sa.select(Advisor.id, Advisor.store_id, Advisor.name, Advisor.capacity_per_week).order_by(
                Advisor.id
            ),
            conn,
        )


@st.cache_data(show_spinner=False, ttl=600)
def tier_shares(_engine: Engine, version: str, population: str = "owners") -> pd.DataFrame | None:
    """Target and actual share per tier of the published scheme (``core.scoring.publishing.published_shares``)."""
    from core.scoring.publishing import published_shares

    with _engine.connect() as conn:
        return published_shares(conn=conn, population=population)
