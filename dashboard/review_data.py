"""Cached reads and the writes of the review, follow-up and customer 360 pages (Streamlit glue over core)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import followup
from core.storage.models import Customer
from core.workflow import customer360, defeat_approval, overrides, review
from dashboard import access, db
from dashboard.i18n import t
from dashboard.safe_text import plain  # noqa: F401 (its first home; pages call rd.plain)
from dashboard.widgets import dim_label

CUSTOMER_PAGE = Path(__file__).resolve().parents[1] / "pages" / "customer.py"


def actor_input() -> str | None:
    """The person saving: the signed-in user (checked against the database), shown as a caption."""
    user = access.current_user(db.get_engine())
    if user is None:
        return None
    st.caption(t("actor.logged_in", name=plain(user.display_name)))
    return user.name


def current_actor() -> str | None:
    """The actor inside a callback: the signed-in user's name, read from the database again."""
    user = access.current_user(db.get_engine())
    return user.name if user else None


def own_only(frame: pd.DataFrame, column: str = "advisor_id") -> pd.DataFrame:
    """The rows this user may see: all for roles that see every customer, else their advisor's rows only."""
    user = access.current_user(db.get_engine())
    if user is not None and user.can("all_customers"):
        return frame
    advisor = None if user is None else user.advisor_id
    return frame[frame[column] == advisor] if advisor is not None else frame.iloc[0:0]


def may_see_customer(engine: Engine, customer_id: int) -> bool:
    """Whether the signed-in user may open this customer: everyone's for most roles, an advisor's own."""
    user = access.current_user(engine)
    if user is None:
        return False
    if user.can("all_customers"):
        return True
    with engine.connect() as conn:
        owner = conn.execute(sa.select(Customer.advisor_id).where(Customer.id == int(customer_id))).scalar()
    return owner is not None and owner == user.advisor_id


def customer_urls(customer_ids) -> list[str]:
    """Relative URLs of customers' 360 pages, for LinkColumn cells of the lists: with the view's language,
    period and filters (dashboard.view_state.link_params), written once for the whole list."""
    from urllib.parse import urlencode

    from dashboard import view_state

    query = urlencode(view_state.link_params())
    return [f"customer?{query}&customer={int(c)}" for c in customer_ids]


def link_to_customer(customer_id: int) -> None:
    """A link to the customer's 360 page (same tab, same session), carrying the view."""
    from dashboard import view_state

    st.page_link(
        CUSTOMER_PAGE,
        label=t("c360.open", id=int(customer_id)),
        query_params={**view_state.link_params(), "customer": str(int(customer_id))},
        icon=":material/person:",
    )


def option_label(labels: dict, key: object) -> str:
    """format_func for options whose labels were computed on this run: ``partial(option_label, labels)``
    (a function of a page script does not pickle; serializable session state needs one that does)."""
    return str(labels.get(key, key))


def show_pii() -> bool:
    """Whether the signed-in user's role may see personal data (an admin's setting, core.access.auth)."""
    user = access.current_user(db.get_engine())
    return bool(user and user.show_pii)


@st.cache_data(show_spinner=False, ttl=600)
def data_now(_engine: Engine, version: str) -> dt.datetime:
    """'Now' for the data: the end of the day of the latest customer or lead (demo data ends in the past)."""
    from core.storage.models import Lead

    with _engine.connect() as conn:
        last = conn.execute(
            sa.select(sa.func.max(Lead.created_at)).union_all(sa.select(sa.func.max(Customer.created_at)))
        ).scalars()
        days = [pd.Timestamp(x).date() for x in last if x is not None]
    day = max(days) if days else dt.date.today()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)


@st.cache_data(show_spinner=False, ttl=600)
def meetings(_engine: Engine, version: str, population: str) -> pd.DataFrame:
    with _engine.connect() as conn:
        return review.meetings(conn=conn, population=population)


@st.cache_data(show_spinner=False, ttl=600)
def agenda(_engine: Engine, version: str, meeting_id: int, pii: bool) -> pd.DataFrame:
    with _engine.connect() as conn:
        return review.items(conn=conn, meeting_id=meeting_id, show_pii=pii)


@st.cache_data(show_spinner=False, ttl=600)
def meeting(_engine: Engine, version: str, meeting_id: int) -> dict[str, Any]:
    with _engine.connect() as conn:
        return review.get_meeting(conn=conn, meeting_id=meeting_id)


@st.cache_data(show_spinner=False, ttl=600)
def item_customer(_engine: Engine, version: str, item_id: int) -> int:
    from core.storage.models import ReviewItem

    with _engine.connect() as conn:
        return int(
            conn.execute(sa.select(ReviewItem.customer_id).where(ReviewItem.id == item_id)).scalar_one()
        )


@st.cache_data(show_spinner=False, ttl=600)
def labels(_engine: Engine, version: str, population: str) -> list[str]:
    with _engine.connect() as conn:
        return overrides.labels(conn=conn, population=population)


@st.cache_data(show_spinner=False, ttl=600)
def pending_defeats(_engine: Engine, version: str, pii: bool) -> pd.DataFrame:
    with _engine.connect() as conn:
        return defeat_approval.pending_defeats(conn=conn, show_pii=pii)


@st.cache_data(show_spinner=False, ttl=600)
def followup_read(_engine: Engine, version: str, what: str, **kwargs: Any) -> Any:
    with _engine.connect() as conn:
        return getattr(followup, what)(conn=conn, **kwargs)


@st.cache_data(show_spinner=False, ttl=600)
def customer_read(_engine: Engine, version: str, what: str, customer_id: int, **kwargs: Any) -> Any:
    module = overrides if what in ("override_history", "tier_history") else customer360
    with _engine.connect() as conn:
        return getattr(module, what)(conn=conn, customer_id=customer_id, **kwargs)


@st.cache_data(show_spinner=False, ttl=600)
def effective_tier(_engine: Engine, version: str, population: str, customer_id: int) -> dict | None:
    with _engine.connect() as conn:
        frame = overrides.effective_tiers(conn=conn, population=population)
    row = frame[frame["customer_id"] == customer_id]
    return None if row.empty else row.iloc[0].to_dict()


@st.cache_resource(show_spinner=False, max_entries=4)
def _scorer(url: str, events_version: str, state_version: str, population: str):
    from core.analytics.overview import published_scheme
    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features
    from core.scoring.scheme import Scorer

    engine = db._engine(url)
    with engine.connect() as conn:
        scheme = published_scheme(conn=conn, population=population)
        if scheme is None:
            return None
        last = conn.execute(sa.select(sa.func.max(Customer.created_at))).scalar()
        inputs = load_feature_inputs(conn=conn)
    as_of = pd.Timestamp(last).date() if last is not None else dt.date.today()
    features = compute_features(inputs, population=population, as_of=as_of)
    return Scorer(scheme["params"]).fit(features), features, scheme, as_of


def scorer(engine: Engine, version: str, population: str):
    """(fitted scorer of the published scheme, features, scheme, as_of) or None; shared by all sessions."""
    events, state = version.split("#", 1)
    return _scorer(engine.url.render_as_string(hide_password=False), events, state, population)


def customer_count_ok(engine: Engine, customer_id: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(Customer.id).where(Customer.id == customer_id)).first() is not None


# ---- writes: call core, then drop cached reads ----------------------------------------------------------


def after_write() -> None:
    db.bump_data_version()


def conflict_text(conflict: overrides.Conflict, tier_label=str) -> str:
    """The other person's change as one clear sentence (who, when, what), and that ours was not saved."""
    c = conflict.current
    at = c.get("at")
    when = pd.Timestamp(at).strftime("%H:%M") if at is not None and not pd.isna(at) else "—"
    decision = c.get("decision")
    if decision == "overridden":
        what = t(
            "conflict.what.overridden",
            tier=plain(tier_label(c.get("tier") or "")),
            reason=plain(c.get("reason") or ""),
        )
    elif decision in ("confirmed", "cleared", "approved", "returned"):
        what = t(
            f"conflict.what.{decision}",
            tier=plain(tier_label(c.get("tier") or "")),
            reason=plain(c.get("reason") or ""),
        )
    elif c.get("discussed"):
        what = t("conflict.what.discussed")
    else:
        what = t("conflict.what.changed")
    # shown with st.error (Markdown): the other person's tier, reason and name are text
    return t(
        "conflict.message",
        by=plain(c.get("by")) if c.get("by") else t("conflict.someone"),
        at=when,
        what=what,
    )


def input_error_text(exc: overrides.InputError) -> str:
    return t(f"input.{exc.code}", **exc.params)


def reasons_text(reasons, old_score=None, new_score=None) -> str:
    """The dimensions that moved the score; when none moved it by 0.05 points, the score barely changed and the
    tier's boundary moved past it (percentile cut-offs follow everyone else's scores): said so."""
    if reasons:
        return "；".join(f"{dim_label(d)} {v:+.1f}" for d, v in reasons)
    if old_score is not None and new_score is not None and pd.notna(old_score) and pd.notna(new_score):
        return t("review.reason.boundary", old=f"{float(old_score):.2f}", new=f"{float(new_score):.2f}")
    return ""


def reasons_column(frame: pd.DataFrame) -> list[str]:
    return [
        reasons_text(r, o, n)
        for r, o, n in zip(frame["reasons"], frame["old_score"], frame["new_score"], strict=True)
    ]


@st.cache_data(show_spinner=False, ttl=60)
def _display_names(_engine: Engine, url: str) -> dict[str, str]:
    """Display names by login name of the database at ``url`` (the key: the engine itself is not hashed, so
    without it every database in one server process shared the first one's names)."""
    from core.access import auth

    with _engine.connect() as conn:
        accounts = auth.users(conn=conn)
    return {str(n): str(d) for n, d in zip(accounts["name"], accounts["display_name"], strict=True) if d}


def person(name: object) -> str:
    """Who did something, as people know them: the account's display name (the login name when it has none or
    the name is not an account, e.g. a script)."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    engine = db.get_engine()
    return _display_names(engine, engine.url.render_as_string()).get(str(name), str(name))
