"""The analysis pages' figures from the in-memory facts (:mod:`core.analytics.facts`), equal to the SQL path's.

Each function filters the arrays with numpy and either builds exactly the frame the SQL path reads
(:func:`period_leads` = :func:`core.analytics.funnel.period_leads`, :func:`defeats` = :func:`core.analytics.defeats.defeats`) and
hands it to the existing pure functions, or counts what the SQL path counts (:func:`lead_figures`,
:func:`overdue_follow_ups`, :func:`tier_counts`, :func:`tiers_by_region`). Filters mean what they mean on
the SQL path (see :mod:`core.analytics.overview`): the period by ``Filters.start_dt <= t < Filters.end_dt``, store and
channel of the lead, region of the customer; tiers by the customer's store, region and first channel.
tests/unit/analytics/test_facts.py checks every figure against the SQL path on all three backends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from core.access.privacy import mask_name, mask_phone
from core.analytics import defeats as cd
from core.analytics.facts import KEY_OFFSET, KEY_SHIFT, NULL, Categories, EventFacts, TierFacts
from core.analytics.funnel import _TIME_COLUMNS as FUNNEL_TIMES
from core.analytics.overview import FOLLOW_UP_DAYS, Filters, closed_at, overdue_rule, tier_counts_from


def _t(value: dt.datetime) -> np.datetime64:
    return np.datetime64(value, "us")


def _in(values: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    return np.isin(values, np.asarray(ids, dtype=values.dtype))


def lead_mask(facts: EventFacts, f: Filters) -> np.ndarray:
    """Leads of the filters' stores, channels and (customer's) regions; the period is not applied."""
    leads = facts.leads
    mask = np.ones(len(leads["id"]), dtype=bool)
    if f.store_ids:
        mask &= _in(leads["store_id"], f.store_ids)
    if f.channel_ids:
        mask &= _in(leads["channel_id"], f.channel_ids)
    if f.region_ids:
        mask &= _in(leads["region_id"], f.region_ids)
    return mask


def _between(times: np.ndarray, f: Filters) -> np.ndarray:
    return (times >= _t(f.start_dt)) & (times < _t(f.end_dt))


# ---- frames as the SQL path reads them --------------------------------------------------------------------


def _nullable_ids(values: np.ndarray) -> np.ndarray:
    """int64 when no NULL is among them, else float64 with NaN: what ``pandas.read_sql`` gives."""
    if (values == NULL).any():
        return np.where(values == NULL, np.nan, values.astype(np.float64))
    return values.astype(np.int64)


def _times(values: np.ndarray) -> np.ndarray:
    """datetime64[us]; ``datetime64[s]`` when all are NULL: what ``pandas.to_datetime`` gives the SQL path."""
    return values.astype("datetime64[s]") if np.isnat(values).all() else values


def _text(cats: Categories) -> pd.Series:
    """Text column as ``pandas.read_sql`` gives it: ``str`` with NaN for NULL, ``object`` when all NULL."""
    if len(cats.codes) and (cats.codes < 0).all():
        return pd.Series([None] * len(cats.codes), dtype=object)
    return pd.Series(pd.Categorical.from_codes(cats.codes, categories=cats.categories)).astype("str")


def _names(codes_or_ids: np.ndarray, table: pd.DataFrame, column: str) -> pd.Series:
    """Names of ids by a reference table (outer join: NULL for an unknown id)."""
    ids = table["id"].to_numpy(dtype=np.int64)
    order = np.argsort(ids)
    ids = ids[order]
    pos = np.searchsorted(ids, codes_or_ids)
    known = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == codes_or_ids) if len(ids) else pos < 0
    names = np.asarray(table[column].to_numpy(dtype=object)[order], dtype=object)
    codes = np.where(known, np.minimum(pos, max(len(ids) - 1, 0)), -1)
    cats = Categories(codes.astype(np.int32), np.asarray(names, dtype=str))
    if len(codes) and not known.any():
        return pd.Series([None] * len(codes), dtype=object)
    return _text(cats) if len(names) else pd.Series([None] * len(codes), dtype=object)


_EMPTY_LEADS = {
    "id": object,
    "stage_reached": "int64",
    "store_id": object,
    "channel_id": object,
    "advisor_id": object,
    "intended_model": object,
    "grade": object,
    "region_id": object,
    **{c: "datetime64[s]" for c in FUNNEL_TIMES},
}


def period_leads(facts: EventFacts, f: Filters) -> pd.DataFrame:
    """The leads created in the period, as :func:`core.analytics.funnel.period_leads` reads them (same rows, columns,
    order and dtypes).

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> from core.analytics.facts import facts_key, read_event_facts
    >>> with open_database("sqlite://").connect() as conn:
    ...     facts = read_event_facts(conn, facts_key(conn))
    >>> period_leads(facts, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))).empty
    True
    """
    leads = facts.leads
    idx = np.flatnonzero(lead_mask(facts, f) & _between(leads["created_at"], f))
    if not len(idx):
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _EMPTY_LEADS.items()})
    cats = facts.lead_categories
    out = pd.DataFrame(
        {
            "id": leads["id"][idx].astype(np.int64),
            "stage_reached": leads["stage_reached"][idx].astype(np.int64),
            "store_id": _nullable_ids(leads["store_id"][idx]),
            "channel_id": _nullable_ids(leads["channel_id"][idx]),
            "advisor_id": _nullable_ids(leads["advisor_id"][idx]),
            "intended_model": _text(cats["intended_model"].take(idx)),
            "grade": _text(cats["grade"].take(idx)),
            "region_id": _nullable_ids(leads["region_id"][idx]),
            **{c: _times(leads[c][idx]) for c in FUNNEL_TIMES},
        }
    )
    return out


_EMPTY_DEFEATS = {c: object for c in cd._DEFEAT_COLUMNS} | {
    "defeat_id": "Int64",
    "at": "datetime64[s]",
    "reactivated_at": "datetime64[s]",
    "reactivated": bool,
    "stage_lost": "int64",
}


def defeat_mask(facts: EventFacts, f: Filters) -> np.ndarray:
    """Per lead: lost in the period (``defeated_at`` in it) and selected by the filters, the leads of
    :func:`core.analytics.defeats.defeats` and of the overview's 战败 figure (:func:`lead_figure_ids`)."""
    return lead_mask(facts, f) & _between(facts.leads["defeated_at"], f)


def _defeat_records(facts: EventFacts) -> np.ndarray:
    """Per lead position: the row in ``facts.defeats`` of its latest counted defeat record, -1 for none."""
    leads, d = facts.leads, facts.defeats
    out = np.full(len(leads["id"]), -1, dtype=np.int64)
    if len(d["id"]):
        pos = np.searchsorted(leads["id"], d["lead_id"])
        known = (pos < len(leads["id"])) & (
            leads["id"][np.minimum(pos, len(leads["id"]) - 1)] == d["lead_id"]
        )
        rows = np.arange(len(d["id"]), dtype=np.int64)  # ordered by defeat id: the largest row is the latest
        np.maximum.at(out, pos[known], rows[known])
    return out


def _pick(cats: Categories, rows: np.ndarray, extra: str | None = None) -> Categories:
    """Codes of ``rows`` (-1: no record, NULL; or ``extra`` when given)."""
    categories = cats.categories if extra is None else np.append(cats.categories, extra)
    missing = -1 if extra is None else len(cats.categories)
    codes = (
        np.where(rows >= 0, cats.codes[np.maximum(rows, 0)], missing)
        if len(cats.codes)
        else np.full(len(rows), missing)
    )
    return Categories(codes.astype(np.int32), np.asarray(categories, dtype=str))


def defeats(facts: EventFacts, f: Filters) -> pd.DataFrame:
    """The defeats in the period the filters select, as :func:`core.analytics.defeats.defeats` reads them: one row per
    lost lead, with its latest counted defeat record where it has one."""
    leads, d = facts.leads, facts.defeats
    idx = np.flatnonzero(defeat_mask(facts, f))
    if not len(idx):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY_DEFEATS.items()})
    rows = _defeat_records(facts)[idx]
    has = rows >= 0
    r = np.maximum(rows, 0)
    cats = facts.defeat_categories
    names = facts.names

    def from_record(column: str, otherwise: np.ndarray) -> np.ndarray:
        return np.where(has, d[column][r], otherwise) if len(d["id"]) else otherwise

    nat = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[us]")
    advisor = from_record(
        "advisor_id", leads["advisor_id"][idx]
    )  # the record's: its advisor, else the lead's
    channel = leads["channel_id"][idx]
    store = leads["store_id"][idx]
    return pd.DataFrame(
        {
            "defeat_id": pd.Series(from_record("id", np.full(len(idx), NULL)), dtype="Int64").where(has),
            "customer_id": leads["customer_id"][idx].astype(np.int64),
            "lead_id": leads["id"][idx].astype(np.int64),
            "at": _times(leads["defeated_at"][idx]),
            "stage_lost": from_record("stage_lost", leads["stage_reached"][idx]).astype(np.int64),
            "reason": _text(_pick(cats["reason"], rows, cd.UNRECORDED)),
            "sub_reason": _text(_pick(cats["sub_reason"], rows)),
            "competitor_brand": _text(_pick(cats["competitor_brand"], rows)),
            "competitor_model": _text(_pick(cats["competitor_model"], rows)),
            "reactivated": from_record("reactivated", np.zeros(len(idx), dtype=bool)).astype(bool),
            "reactivated_at": _times(from_record("reactivated_at", nat)),
            "store_id": _nullable_ids(store),
            "channel_id": _nullable_ids(channel),
            "intended_model": _text(facts.lead_categories["intended_model"].take(idx)),
            "advisor": _names(advisor, names["advisors"], "name"),
            "channel": _names(channel, names["channels"], "name"),
            "channel_en": _names(channel, names["channels"], "name_en"),
            "store": _names(store, names["stores"], "name"),
            "store_en": _names(store, names["stores"], "name_en"),
        }
    )


def last_new_car(facts: EventFacts, customer_ids) -> pd.Series:
    """Each customer's last new-car purchase date (datetime64; NaT without one), indexed by customer id."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    inside = (ids >= 0) & (ids < len(facts.last_new_car))
    at = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[us]")
    at[inside] = facts.last_new_car[ids[inside]]
    return pd.Series(at, index=ids)


def defeat_figure(
    facts: EventFacts,
    what: str,
    f: Filters,
    *,
    people: Callable[[list[int]], pd.DataFrame] | None = None,
    frame: pd.DataFrame | None = None,
    **kwargs,
):
    """One figure of the defeat page (``what``: a function name of :mod:`core.analytics.defeats`) from the facts.

    ``people(ids)`` returns ``customer_id, name, phone`` of the listed customers (only
    ``reactivation_candidates`` needs it: personal data is not held in the facts). ``frame``: the result of
    :func:`defeats` for these filters when the caller already has it (it is not modified).
    """
    d = defeats(facts, f) if frame is None else frame
    if what == "defeats":
        return d
    if what == "pareto":
        return cd.pareto_from_defeats(d)
    if what == "price_sub_reasons":
        return cd.price_sub_reasons_from_defeats(d)
    if what == "breakdown":
        return cd.breakdown_from_defeats(d, **kwargs)
    if what == "monthly_trend":
        return cd.monthly_trend_from_defeats(d)
    last = last_new_car(facts, d["customer_id"].unique())
    if what == "win_back":
        return cd.win_back_from_defeats(d, last)
    if what == "reactivation_candidates":
        if people is None:
            raise ValueError("reactivation_candidates needs people(ids)")
        return cd.reactivation_candidates_from_defeats(d, last, people=people, **kwargs)
    raise ValueError(f"no figure {what!r} from the facts")


DEFEAT_FIGURES = (
    "defeats",
    "pareto",
    "price_sub_reasons",
    "breakdown",
    "monthly_trend",
    "win_back",
    "reactivation_candidates",
)


# ---- overview -----------------------------------------------------------------------------------------------


def lead_figures(facts: EventFacts, f: Filters) -> dict[str, float | int | None]:
    """As :func:`core.analytics.overview.lead_figures`: leads, orders, deliveries and defeats in the period."""
    leads = facts.leads
    mask = lead_mask(facts, f)
    n, orders, delivered, defeated = (
        int((mask & _between(leads[c], f)).sum())
        for c in ("created_at", "order_at", "delivery_at", "defeated_at")
    )
    return {
        "leads": n,
        "orders": orders,
        "delivered": delivered,
        "defeated": defeated,
        "conversion": orders / n if n else None,
        "defeat_rate": defeated / (defeated + orders) if (defeated + orders) else None,
    }


def _grade_days(facts: EventFacts) -> np.ndarray:
    """Per lead: the follow-up cadence in days of its grade, 0 for grades without one."""
    cats = facts.lead_categories["grade"]
    per_code = np.array([FOLLOW_UP_DAYS.get(str(c), 0) for c in cats.categories] + [0], dtype=np.int64)
    return per_code[np.where(cats.codes < 0, len(cats.categories), cats.codes)]


def overdue_follow_ups(facts: EventFacts, f: Filters, *, current: bool | None = None) -> int:
    """As :func:`core.analytics.followup.overdue_follow_ups`: leads under cadence at the period's end with their last
    contact older than their grade's cadence (:func:`core.analytics.overview.overdue_rule`; ``current`` is ignored).

    The count of :func:`overdue_lead_ids`, so the figure and the list behind it cannot disagree."""
    return len(overdue_lead_ids(facts, f))


def _tier_rows(tiers: TierFacts, facts: EventFacts, f: Filters, at: dt.datetime) -> np.ndarray:
    """Positions of the assignments in force at ``at`` of the customers the filters select."""
    t = _t(at)
    cust = tiers.customer_id
    known = (cust >= 0) & (cust < len(facts.customer_region))
    safe = np.where(known, cust, 0)
    mask = known & (tiers.effective_from < t) & (np.isnat(tiers.effective_to) | (tiers.effective_to >= t))
    if f.store_ids:
        mask &= _in(facts.customer_store[safe], f.store_ids)
    if f.region_ids:
        mask &= _in(facts.customer_region[safe], f.region_ids)
    if f.channel_ids:
        mask &= _in(facts.customer_channel[safe], f.channel_ids)
    return np.flatnonzero(mask)


def tier_counts(
    tiers: TierFacts, facts: EventFacts, f: Filters, scheme: dict | None, at: dt.datetime | None = None
) -> pd.DataFrame:
    """As :func:`core.analytics.overview.tier_counts` (``scheme``: the published owners scheme, or None)."""
    rows = _tier_rows(tiers, facts, f, at or f.end_dt)
    counts = np.bincount(tiers.tier.codes[rows], minlength=len(tiers.tier.categories))
    got = {str(tiers.tier.categories[i]): int(n) for i, n in enumerate(counts) if n}
    return tier_counts_from(got, scheme)


def overview(
    facts: EventFacts, tiers: TierFacts, f: Filters, latest_day: dt.date | None, scheme: dict | None
) -> dict:
    """As :func:`core.analytics.overview.overview`: every overview figure for the period and the previous one."""
    prev = f.previous()
    return {
        "current": {
            **lead_figures(facts, f),
            "overdue": overdue_follow_ups(facts, f),
        },
        "previous": {
            **lead_figures(facts, prev),
            "overdue": overdue_follow_ups(facts, prev),
        },
        "tiers": tier_counts(tiers, facts, f, scheme),
        "tiers_previous": tier_counts(tiers, facts, prev, scheme),
    }


# ---- tiers page ---------------------------------------------------------------------------------------------


def tiers_by_region(tiers: TierFacts, facts: EventFacts, f: Filters) -> pd.DataFrame:
    """As :func:`core.analytics.tier_report.tiers_by_region`: customers per region and tier in force at the period's end,
    ordered by region id, then tier (code-point order, as SQLite sorts)."""
    rows = _tier_rows(tiers, facts, f, f.end_dt)
    if not len(rows):  # as read_sql gives an empty result
        empty = {c: pd.Series(dtype=object) for c in ("region_id", "region", "region_en", "tier")}
        return pd.DataFrame({**empty, "customers": pd.Series(dtype="int64")})
    region = facts.customer_region[tiers.customer_id[rows]]
    regions = facts.names["regions"]
    ids = regions["id"].to_numpy(dtype=np.int64)
    keep = np.isin(region, ids)  # inner join: customers without a (known) region are left out
    region, code = region[keep].astype(np.int64), tiers.tier.codes[rows][keep].astype(np.int64)
    ncat = max(len(tiers.tier.categories), 1)
    pairs, counts = np.unique(region * ncat + code, return_counts=True)
    out = pd.DataFrame({"region_id": pairs // ncat, "tier_code": pairs % ncat, "customers": counts})
    out["tier"] = np.asarray(tiers.tier.categories, dtype=object)[out["tier_code"].to_numpy()]
    out = out.sort_values(["region_id", "tier"], kind="stable").reset_index(drop=True)
    by_id = regions.set_index("id")
    result = pd.DataFrame(
        {
            "region_id": out["region_id"].astype(np.int64),
            "region": pd.Series(by_id["name"].reindex(out["region_id"]).to_numpy(dtype=object)),
            "region_en": pd.Series(by_id["name_en"].reindex(out["region_id"]).to_numpy(dtype=object)),
            "tier": pd.Series(out["tier"].to_numpy(dtype=object)),
            "customers": out["customers"].astype(np.int64),
        }
    )
    if len(result):
        result = result.astype({"region": "str", "region_en": "str", "tier": "str"})
    return result


def tier_members(
    tiers: TierFacts,
    facts: EventFacts,
    f: Filters,
    tier: str | None,
    *,
    people: Callable[[list[int]], pd.DataFrame],
    limit: int = 200,
    show_pii: bool = False,
) -> pd.DataFrame:
    """As :func:`core.analytics.tier_report.tier_members`: a tier's customers, best score first (then customer id).

    ``people(ids)`` returns ``customer_id, name, phone`` of the listed customers.
    """
    rows = _tier_rows(tiers, facts, f, f.end_dt)
    if tier:
        rows = rows[tiers.tier.codes[rows] == tiers.tier.code_of(tier)]
    cust = tiers.customer_id[rows].astype(np.int64)
    order = np.lexsort((cust, -tiers.score[rows]))[:limit]
    rows, cust = rows[order], cust[order]
    if not len(rows):  # as read_sql gives an empty result
        columns = ("customer_id", "name", "phone", "region", "store", "tier", "score", "since")
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    names = facts.names
    found = people([int(x) for x in cust]).set_index("customer_id")
    out = pd.DataFrame(
        {
            "customer_id": cust,
            "name": pd.Series(found["name"].reindex(cust).to_numpy(dtype=object)),
            "phone": pd.Series(found["phone"].reindex(cust).to_numpy(dtype=object)),
            "region": _names(facts.customer_region[cust], names["regions"], "name"),
            "store": _names(facts.customer_store[cust], names["stores"], "name"),
            "tier": pd.Series(np.asarray(tiers.tier.categories, dtype=object)[tiers.tier.codes[rows]]),
            "score": tiers.score[rows],
            "since": tiers.effective_from[rows],
        }
    )
    if len(out):
        out = out.astype({"name": "str", "phone": "str", "tier": "str"})
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out


__all__ = [
    "defeat_figure",
    "defeats",
    "lead_figures",
    "overdue_follow_ups",
    "overview",
    "period_leads",
    "tier_counts",
    "tier_members",
    "tiers_by_region",
]


# ---- the leads and customers behind the overview's figures (its drill-down) ---------------------------------
# Each function applies exactly the masks of the count it lists (lead_figures, overdue_follow_ups,
# tier_counts), so the list is as long as the figure; tests/unit/analytics/test_overview_drill.py checks both that and the
# lists themselves against plain SQL.

LEAD_FIGURE_TIMES = {
    "leads": "created_at",
    "orders": "order_at",
    "delivered": "delivery_at",
    "defeated": "defeated_at",
}
OVERVIEW_DRILL_FIGURES = (*LEAD_FIGURE_TIMES, "overdue", "tier")


def lead_figure_ids(facts: EventFacts, f: Filters, figure: str) -> np.ndarray:
    """The leads behind one count of :func:`lead_figures`, newest first (by that event's time, then id).

    Parameters
    ----------
    facts : EventFacts
    f : Filters
    figure : {"leads", "orders", "delivered", "defeated"}
        Leads created, ordered, delivered or defeated in the period.

    Returns
    -------
    numpy.ndarray
        Lead ids (int64); as many as ``lead_figures(facts, f)[figure]``.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> from core.analytics.facts import facts_key, read_event_facts
    >>> with open_database("sqlite://").connect() as conn:
    ...     facts = read_event_facts(conn, facts_key(conn))
    >>> lead_figure_ids(facts, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), "orders").tolist()
    []
    """
    if figure not in LEAD_FIGURE_TIMES:
        raise ValueError(f"no lead figure {figure!r}; one of {sorted(LEAD_FIGURE_TIMES)}")
    leads = facts.leads
    column = LEAD_FIGURE_TIMES[figure]
    idx = np.flatnonzero(lead_mask(facts, f) & _between(leads[column], f))
    ids = leads["id"][idx].astype(np.int64)
    return ids[np.lexsort((-ids, -leads[column][idx].astype(np.int64)))]


def _last_follow_up(facts: EventFacts, pos: np.ndarray, at: dt.datetime) -> np.ndarray:
    """Per lead position in ``pos``: its latest follow-up before ``at`` (whole seconds; NaT for none)."""
    keys = facts.follow_up_keys
    if not len(keys):
        return np.full(len(pos), np.datetime64("NaT", "s"))
    cutoff = int(np.datetime64(at, "s").astype(np.int64)) + KEY_OFFSET
    hit = np.searchsorted(keys, (pos.astype(np.int64) << KEY_SHIFT) | cutoff, side="left") - 1
    found = hit >= 0
    found[found] = (keys[hit[found]] >> KEY_SHIFT) == pos[found]
    seconds = (keys[np.maximum(hit, 0)] & ((1 << KEY_SHIFT) - 1)) - KEY_OFFSET
    return np.where(found, seconds.astype("datetime64[s]"), np.datetime64("NaT", "s"))


def overdue_lead_ids(facts: EventFacts, f: Filters, *, current: bool | None = None) -> np.ndarray:
    """The leads :func:`overdue_follow_ups` counts (:func:`core.analytics.overview.overdue_rule` at the period's end),
    longest without contact first (never contacted first), then by id. ``current`` is ignored.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> from core.analytics.facts import facts_key, read_event_facts
    >>> with open_database("sqlite://").connect() as conn:
    ...     facts = read_event_facts(conn, facts_key(conn))
    >>> overdue_lead_ids(facts, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))).tolist()
    []
    """
    leads = facts.leads
    days = _grade_days(facts)
    pos = np.flatnonzero(lead_mask(facts, f) & (days > 0) & (leads["created_at"] < _t(f.end_dt)))
    _, last, overdue = overdue_rule(
        at=f.end_dt,
        grade_days=days[pos],
        created=leads["created_at"][pos],
        first_contact=leads["first_contact_at"][pos],
        last_follow_up=_last_follow_up(facts, pos, f.end_dt),
        delivery=closed_at(
            leads["delivery_at"][pos],
            leads["order_at"][pos],
            facts.lead_categories["status"].codes[pos] == facts.lead_categories["status"].code_of("won"),
        ),
        defeated=leads["defeated_at"][pos],
    )
    pos, last_s = pos[overdue], last[overdue].astype("datetime64[s]").astype(np.int64)  # NaT: smallest, first
    ids = leads["id"][pos].astype(np.int64)
    return ids[np.lexsort((ids, last_s))]


def tier_customer_ids(
    tiers: TierFacts, facts: EventFacts, f: Filters, tier: str, at: dt.datetime | None = None
) -> np.ndarray:
    """The customers :func:`tier_counts` counts for ``tier`` (assignments in force at ``at``, default the
    period's end), best score first, then by customer id (as :func:`tier_members` lists them)."""
    rows = _tier_rows(tiers, facts, f, at or f.end_dt)
    rows = rows[tiers.tier.codes[rows] == tiers.tier.code_of(tier)]
    cust = tiers.customer_id[rows].astype(np.int64)
    return cust[np.lexsort((cust, -tiers.score[rows]))]


def overview_figure_ids(
    facts: EventFacts,
    tiers: TierFacts,
    f: Filters,
    figure: str,
    *,
    latest_day: dt.date | None = None,
    tier: str | None = None,
) -> np.ndarray:
    """The ids behind one figure of :func:`overview` for the period ``f``: lead ids for ``figure`` in
    ``LEAD_FIGURE_TIMES`` and "overdue" (``latest_day`` is not needed: every period follows one rule),
    customer ids of ``tier`` for "tier"."""
    if figure in LEAD_FIGURE_TIMES:
        return lead_figure_ids(facts, f, figure)
    if figure == "overdue":
        return overdue_lead_ids(facts, f)
    if figure == "tier":
        if tier is None:
            raise ValueError("the tier figure needs a tier")
        return tier_customer_ids(tiers, facts, f, tier)
    raise ValueError(f"no overview figure {figure!r}; one of {OVERVIEW_DRILL_FIGURES}")


__all__ += ["lead_figure_ids", "overdue_lead_ids", "overview_figure_ids", "tier_customer_ids"]
