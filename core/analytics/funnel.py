"""The sales funnel (销售漏斗) of the leads created in a period.

Definitions (shown to users in the page's help texts):

- A lead *reached* stage ``i`` of ``FUNNEL_STAGES`` when its ``stage_reached`` is at least ``i``.
- *stage-to-stage conversion*: leads that reached a stage ÷ leads that reached the stage before it.
- *overall conversion*: leads that reached a stage ÷ all leads of the period.
- *drop-off*: leads that reached the stage before but not this one.
- *time in stage*: median days from reaching a stage to reaching the next (leads that reached both).
- *speed of first contact*: minutes from the lead's creation to its first contact, in buckets.

*This period against the previous one* compares cohorts at equal age (:func:`equal_age_comparison`): the
period's leads have had, each, the time from its creation to the data's last day to get on; the previous
period's lead created the same number of days into its period counts only what it reached within that same
time after its creation — which is everything it reached before the data's last day minus the period's length
(its *as-of* moment). Its creation is an event too: a previous lead created after that moment has no
counterpart yet and is left out (the period ends after the data). When a stage's time is not recorded, the
lead counts as reaching it when it reached the next stage with a recorded time (at most its furthest stage),
or, with none, at the last recorded time before it.

The population is always the leads created in the period (``Filters.start_dt <= created_at < end_dt``);
store and channel filter the lead, region the lead's customer. The few needed columns of those leads are read
with one bound SQLAlchemy Core query and aggregated in pandas, which is portable across SQLite, PostgreSQL and
MariaDB.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.analytics.overview import Filters, lead_filters
from core.storage.models import (
    FUNNEL_STAGES,
    LEAD_GRADES,
    STAGE_TIME_COLUMNS,
    Advisor,
    Channel,
    Customer,
    Lead,
    Region,
    Store,
)

DIMENSIONS = ("channel", "store", "advisor", "intended_model", "region", "grade")
ORDER_STAGE = FUNNEL_STAGES.index("order")
SPEED_BUCKETS = ("le_5min", "le_15min", "le_2h", "later", "never")
_SPEED_LIMITS_MIN = (5, 15, 120)
# the time each stage was reached: created_at for "lead", then the stage columns
_TIME_COLUMNS = ("created_at", *STAGE_TIME_COLUMNS)
_GROUP_COLUMNS = {
    "channel": "channel_id",
    "store": "store_id",
    "advisor": "advisor_id",
    "intended_model": "intended_model",
    "region": "region_id",
    "grade": "grade",
}
MISSING_LABEL = "—"


def period_leads(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """The leads created in the period with the columns the funnel needs.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        Period (on ``created_at``), stores, regions (of the customer) and channels.

    Returns
    -------
    pandas.DataFrame
        One row per lead: ``id, stage_reached, store_id, channel_id, advisor_id, intended_model, grade,
        region_id`` and the time columns ``created_at`` and ``STAGE_TIME_COLUMNS`` (datetime64).
    """
    cols = [getattr(Lead, c) for c in _TIME_COLUMNS]
    q = (
        sa.select(
            Lead.id,
            Lead.stage_reached,
            Lead.store_id,
            Lead.channel_id,
            Lead.advisor_id,
            Lead.intended_model,
            Lead.grade,
            Customer.region_id,
            *cols,
        )
        .select_from(Lead)
        .outerjoin(Customer, Customer.id == Lead.customer_id)
        .where(Lead.created_at >= filters.start_dt, Lead.created_at < filters.end_dt, *lead_filters(filters))
        .order_by(Lead.id)
    )
    frame = pd.read_sql(q, conn)
    for c in _TIME_COLUMNS:
        frame[c] = pd.to_datetime(frame[c])
    frame["stage_reached"] = frame["stage_reached"].astype(int)
    return frame


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype(float)
    den = den.astype(float)
    return (num / den.where(den > 0)).astype(float)


def _stage_rows(stage_reached: pd.Series) -> pd.DataFrame:
    counts = [int((stage_reached >= i).sum()) for i in range(len(FUNNEL_STAGES))]
    out = pd.DataFrame({"stage_index": range(len(FUNNEL_STAGES)), "stage": FUNNEL_STAGES, "count": counts})
    before = out["count"].shift(1)
    out["step_conversion"] = _ratio(out["count"], before)
    out["overall_conversion"] = _ratio(out["count"], pd.Series(counts[0], index=out.index))
    out["drop_off"] = (before - out["count"]).fillna(0).astype(int)
    return out


def funnel_from_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """The funnel of already-read leads (see :func:`funnel`)."""
    return _stage_rows(leads["stage_reached"])


def funnel(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Counts, conversions and drop-off per funnel stage for the leads created in the period.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    pandas.DataFrame
        One row per stage of ``FUNNEL_STAGES`` in order, with columns ``stage_index``, ``stage``, ``count``
        (leads with ``stage_reached >= stage_index``), ``step_conversion`` (count ÷ count of the stage
        before; NaN for the first stage or when the stage before has none), ``overall_conversion``
        (count ÷ count of the first stage; NaN without leads) and ``drop_off`` (count of the stage before
        minus count; 0 for the first stage).

    Examples
    --------
    >>> import datetime as dt
    >>> from core.storage.db import open_database
    >>> engine = open_database("sqlite://")
    >>> with engine.connect() as conn:
    ...     funnel(conn=conn, filters=Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31)))["count"].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0]
    """
    return funnel_from_leads(period_leads(conn=conn, filters=filters))


def stage_reached_by(leads: pd.DataFrame, at: dt.datetime) -> pd.Series:
    """The furthest stage each lead had reached before ``at``; -1 for a lead created at or after ``at``.

    A stage counts from its recorded time; a stage without one (up to the lead's furthest stage) from the next
    stage's recorded time, or, with no later one recorded, from the last recorded time before it (so with
    every time recorded, the result at the data's end is ``stage_reached``).

    Examples
    --------
    >>> leads = pd.DataFrame({"stage_reached": [6, 1, 0],
    ...     "created_at": pd.to_datetime(["2017-11-01", "2017-11-05", "2017-11-20"]),
    ...     **{c: pd.NaT for c in STAGE_TIME_COLUMNS}})
    >>> leads["first_contact_at"] = pd.to_datetime(["2017-11-02", "2017-11-06", None])
    >>> leads.loc[0, "order_at"] = pd.Timestamp("2017-12-03")  # the stages before it have no time
    >>> stage_reached_by(leads, dt.datetime(2017, 11, 10)).tolist()
    [1, 1, -1]
    >>> stage_reached_by(leads, dt.datetime(2017, 12, 31)).tolist()
    [6, 1, 0]
    """
    times = leads[list(_TIME_COLUMNS)].apply(pd.to_datetime).to_numpy("datetime64[ns]")
    n, k = times.shape
    reached = leads["stage_reached"].to_numpy(int)
    within = np.arange(k)[None, :] <= reached[:, None]
    times = np.where(within, times, np.datetime64("NaT"))
    # a stage without a time: the next recorded one after it (a reverse running minimum)
    filled = times.copy()
    for i in range(k - 2, -1, -1):
        later = filled[:, i + 1]
        gap = np.isnat(filled[:, i]) & ~np.isnat(later)
        filled[gap, i] = later[gap]
    # … or, with none after it, the last recorded one before it
    for i in range(1, k):
        gap = np.isnat(filled[:, i]) & within[:, i]
        filled[gap, i] = filled[gap, i - 1]
    cutoff = np.datetime64(pd.Timestamp(at).to_datetime64(), "ns")
    done = ~np.isnat(filled) & (filled < cutoff) & within
    # the furthest stage done before the cutoff: the last True of each row
    out = np.where(done.any(axis=1), k - 1 - np.argmax(done[:, ::-1], axis=1), -1)
    return pd.Series(out.astype("int64"), index=leads.index, name="stage_reached")


def equal_age_as_of(filters: Filters, data_last: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """When this period's leads and the previous period's are compared (see the module docstring).

    Returns the end of the data's last day (midnight after it; the period's end when there is no data), and
    that moment minus the period's length: the previous period's leads are counted as they stood then.

    Examples
    --------
    >>> equal_age_as_of(Filters(dt.date(2017, 12, 1), dt.date(2017, 12, 31)), dt.date(2017, 12, 31))
    (datetime.datetime(2018, 1, 1, 0, 0), datetime.datetime(2017, 12, 1, 0, 0))
    """
    last = data_last or filters.end
    now = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
    return now, now - dt.timedelta(days=(filters.end - filters.start).days + 1)


def equal_age_comparison(
    current: pd.DataFrame, previous: pd.DataFrame, filters: Filters, data_last: dt.date | None
) -> pd.DataFrame:
    """This period's funnel against the previous period's at equal age: cohorts compared like with like.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        The leads of the period and of ``filters.previous()``, as :func:`period_leads` returns them.
    filters : Filters
        The shared filters (the period).
    data_last : datetime.date or None
        The data's last day (``core.analytics.overview.data_extent``).

    Returns
    -------
    pandas.DataFrame
        One row per stage: ``stage_index, stage``, then ``count, step_conversion, overall_conversion`` of the
        period's leads as they stand at the end of ``data_last`` (the page's funnel) and ``previous_count,
        previous_step_conversion, previous_overall_conversion`` of the previous period's leads as they stood
        a period's length earlier (:func:`equal_age_as_of`).

    Examples
    --------
    >>> f = Filters(dt.date(2017, 12, 1), dt.date(2017, 12, 31))
    >>> times = {c: pd.NaT for c in STAGE_TIME_COLUMNS}
    >>> cur = pd.DataFrame({"stage_reached": [0], "created_at": pd.to_datetime(["2017-12-20"]), **times})
    >>> prev = pd.DataFrame({"stage_reached": [6, 6],
    ...                      "created_at": pd.to_datetime(["2017-11-05", "2017-11-19"]), **times})
    >>> prev["order_at"] = pd.to_datetime(["2017-11-25", "2017-12-10"])  # the second after Dec 1: not yet
    >>> c = equal_age_comparison(cur, prev, f, dt.date(2017, 12, 31))
    >>> c.loc[c["stage"].isin(["lead", "order"]), ["stage", "count", "previous_count"]].values.tolist()
    [['lead', 1, 2], ['order', 0, 1]]
    """
    now, then = equal_age_as_of(filters, data_last)
    out = _stage_rows(stage_reached_by(current, now))
    old = _stage_rows(stage_reached_by(previous, then))
    for c in ("count", "step_conversion", "overall_conversion"):
        out[f"previous_{c}"] = old[c]
    return out.drop(columns="drop_off")


def _labels(conn: Connection, dimension: str, keys: list) -> pd.DataFrame:
    """group → (label, label_en) for the keys of one dimension."""
    tables = {"channel": Channel, "store": Store, "region": Region}
    if dimension in tables:
        table = tables[dimension]
        ids = [int(k) for k in keys if pd.notna(k)]
        rows = conn.execute(sa.select(table.id, table.name, table.name_en).where(table.id.in_(ids))).all()
        names = {r[0]: (r[1], r[2]) for r in rows}
    elif dimension == "advisor":
        ids = [int(k) for k in keys if pd.notna(k)]
        rows = conn.execute(sa.select(Advisor.id, Advisor.name).where(Advisor.id.in_(ids))).all()
        names = {r[0]: (r[1], r[1]) for r in rows}
    else:  # intended_model and grade: the stored code is the label
        names = {k: (str(k), str(k)) for k in keys if pd.notna(k)}
    out = []
    for k in keys:
        label = names.get(
            int(k) if dimension in ("channel", "store", "region", "advisor") and pd.notna(k) else k
        )
        if label is None:
            label = (MISSING_LABEL, MISSING_LABEL)
        out.append((k, *label))
    return pd.DataFrame(out, columns=["group", "label", "label_en"])


def _group_order(dimension: str, keys: list) -> list:
    if dimension == "grade":
        known = [g for g in LEAD_GRADES if g in keys]
        return (
            known
            + sorted(k for k in keys if k not in LEAD_GRADES and pd.notna(k))
            + [k for k in keys if pd.isna(k)]
        )
    present = [k for k in keys if pd.notna(k)]
    return sorted(present) + [k for k in keys if pd.isna(k)]


def funnel_by_from_leads(conn: Connection, leads: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """The funnel per group of already-read leads (see :func:`funnel_by`)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; one of {DIMENSIONS}")
    column = _GROUP_COLUMNS[dimension]
    columns = ["group", "label", "label_en", "stage_index", "stage", "count"]
    columns += ["step_conversion", "overall_conversion", "drop_off"]
    if leads.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    key = leads[column].astype(object).where(leads[column].notna(), None)
    keys = _group_order(dimension, list(dict.fromkeys(key.tolist())))
    labels = _labels(conn, dimension, keys).set_index("group", drop=False) if keys else None
    parts = []
    for k in keys:
        mask = key.isna() if k is None else key == k
        rows = _stage_rows(leads.loc[mask, "stage_reached"])
        rows.insert(0, "group", k)
        lab = labels.iloc[keys.index(k)]
        rows.insert(1, "label", lab["label"])
        rows.insert(2, "label_en", lab["label_en"])
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    if dimension in ("channel", "store", "region", "advisor"):
        ids = [None if v is None or pd.isna(v) else int(v) for v in out["group"]]
        out["group"] = pd.Series(ids, index=out.index, dtype=object)
    return out[columns]


def funnel_by(*, conn: Connection, filters: Filters, dimension: str) -> pd.DataFrame:
    """The funnel per group of one dimension, in long format.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.
    dimension : str
        One of ``DIMENSIONS``: channel, store, advisor, intended_model, region (of the customer), grade.

    Returns
    -------
    pandas.DataFrame
        One row per (group, stage) for every group with leads in the period: ``group`` (id, or the code
        for intended_model and grade; None for leads without one), ``label`` and ``label_en`` (the
        reference table's ``name`` and ``name_en``; the advisor's name for both; the code itself for
        intended_model and grade; "—" when missing), then the columns of :func:`funnel`. Groups are ordered
        by id (grades in ``LEAD_GRADES`` order), missing last.

    Raises
    ------
    ValueError
        If ``dimension`` is not one of ``DIMENSIONS``.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; one of {DIMENSIONS}")
    return funnel_by_from_leads(conn, period_leads(conn=conn, filters=filters), dimension)


def stage_durations_from_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Median days per stage of already-read leads (see :func:`stage_durations`)."""
    rows = []
    for i in range(1, len(FUNNEL_STAGES)):
        start, end = leads[_TIME_COLUMNS[i - 1]], leads[_TIME_COLUMNS[i]]
        both = (leads["stage_reached"] >= i) & start.notna() & end.notna()
        days = (end[both] - start[both]).dt.total_seconds() / 86400.0
        rows.append(
            (
                i,
                FUNNEL_STAGES[i - 1],
                FUNNEL_STAGES[i],
                int(both.sum()),
                float(days.median()) if len(days) else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=["stage_index", "from_stage", "stage", "leads", "median_days"])


def stage_durations(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Median days between consecutive stages for the period's leads.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    pandas.DataFrame
        One row per stage after the first: ``stage_index``, ``from_stage``, ``stage``, ``leads`` (leads that
        reached both stages, with both times recorded) and ``median_days`` (median of the time between the two
        stages, in days; NaN without such leads).
    """
    return stage_durations_from_leads(period_leads(conn=conn, filters=filters))


def first_contact_speed_from_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Speed of first contact against conversion for already-read leads (see :func:`first_contact_speed`)."""
    minutes = (leads["first_contact_at"] - leads["created_at"]).dt.total_seconds() / 60.0
    bucket = pd.Series("later", index=leads.index, dtype=object)
    for limit, name in reversed(list(zip(_SPEED_LIMITS_MIN, SPEED_BUCKETS, strict=False))):
        bucket[minutes <= limit] = name
    bucket[leads["first_contact_at"].isna()] = "never"
    ordered = leads["stage_reached"] >= ORDER_STAGE
    n = [int((bucket == b).sum()) for b in SPEED_BUCKETS]
    orders = [int(((bucket == b) & ordered).sum()) for b in SPEED_BUCKETS]
    out = pd.DataFrame({"bucket": SPEED_BUCKETS, "leads": n, "orders": orders})
    out["conversion"] = _ratio(out["orders"], out["leads"])
    return out


def first_contact_speed(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Leads and conversion to order by how fast they were first contacted.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    pandas.DataFrame
        One row per bucket of ``SPEED_BUCKETS``: ``le_5min`` (first contact at most 5 minutes after
        creation), ``le_15min`` (over 5, at most 15), ``le_2h`` (over 15 minutes, at most 2 hours), ``later``
        and ``never`` (no first contact); columns ``bucket``, ``leads``, ``orders`` (leads with
        ``stage_reached >= ORDER_STAGE``) and ``conversion`` (orders ÷ leads; NaN without leads).
    """
    return first_contact_speed_from_leads(period_leads(conn=conn, filters=filters))


def cohort_filters(filters: Filters, months: int = 12) -> Filters:
    """The filters of the cohort view: the ``months`` calendar months ending with the period's last month.

    Examples
    --------
    >>> import datetime as dt
    >>> f = cohort_filters(Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 20), store_ids=(2,)), months=3)
    >>> (f.start, f.end, f.store_ids)
    (datetime.date(2026, 4, 1), datetime.date(2026, 6, 20), (2,))
    """
    index = filters.end.year * 12 + filters.end.month - 1 - (months - 1)
    start = filters.end.replace(year=index // 12, month=index % 12 + 1, day=1)
    return Filters(start, filters.end, filters.store_ids, filters.region_ids, filters.channel_ids)


def cohorts_from_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """How far the leads created in each month have got: the funnel of every monthly cohort.

    Parameters
    ----------
    leads : pandas.DataFrame
        Leads as :func:`period_leads` returns them (``created_at`` and ``stage_reached`` are used).

    Returns
    -------
    pandas.DataFrame
        One row per (month, stage) for every month with leads, oldest month first: ``month`` (the first day,
        a ``datetime.date``), then the columns of :func:`funnel` for that month's leads. A young cohort has
        had less time to get far; the stages are as reached by the data's last day.

    Examples
    --------
    >>> import datetime as dt
    >>> leads = pd.DataFrame({"created_at": pd.to_datetime(["2026-05-03", "2026-05-20", "2026-06-02"]),
    ...                       "stage_reached": [6, 1, 0]})
    >>> c = cohorts_from_leads(leads)
    >>> print(c.loc[c["stage"].isin(["lead", "first_contact", "order"]), ["month", "stage", "count"]]
    ...       .to_string(index=False))
         month         stage  count
    2026-05-01          lead      2
    2026-05-01 first_contact      2
    2026-05-01         order      1
    2026-06-01          lead      1
    2026-06-01 first_contact      0
    2026-06-01         order      0
    """
    columns = ["month", "stage_index", "stage", "count", "step_conversion", "overall_conversion", "drop_off"]
    if leads.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    month = leads["created_at"].dt.to_period("M")
    parts = []
    for m in sorted(month.unique()):
        rows = _stage_rows(leads.loc[month == m, "stage_reached"])
        rows.insert(0, "month", m.start_time.date())
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)[columns]


def segment_lead_ids(
    leads: pd.DataFrame, *, stage: str, stopped: bool = False, dimension: str | None = None, group=None
) -> list[int]:
    """The ids of the leads behind one figure of the funnel: those that reached ``stage`` (or stopped there).

    Parameters
    ----------
    leads : pandas.DataFrame
        Leads as :func:`period_leads` returns them.
    stage : str
        One of ``FUNNEL_STAGES``.
    stopped : bool
        Only the leads whose furthest stage is ``stage`` (reached it, not the next): the drop-off after it.
    dimension, group : optional
        Only the leads of one group of a :func:`funnel_by` dimension (``group`` as :func:`funnel_by` gives it;
        None with a dimension means the leads without one).

    Returns
    -------
    list of int
        Lead ids, newest lead first.

    Examples
    --------
    >>> leads = pd.DataFrame({"id": [1, 2, 3], "stage_reached": [6, 3, 3], "grade": ["H", "A", "H"],
    ...                       "created_at": pd.to_datetime(["2026-06-01", "2026-06-02", "2026-06-03"])})
    >>> segment_lead_ids(leads, stage="visit")
    [3, 2, 1]
    >>> segment_lead_ids(leads, stage="visit", stopped=True, dimension="grade", group="H")
    [3]
    """
    index = FUNNEL_STAGES.index(stage)
    mask = leads["stage_reached"] == index if stopped else leads["stage_reached"] >= index
    if dimension is not None:
        column = leads[_GROUP_COLUMNS[dimension]]
        mask &= column.isna() if group is None else column == group
    picked = leads.loc[mask].sort_values(["created_at", "id"], ascending=False)
    return [int(x) for x in picked["id"]]
