"""Raw scoring dimensions per customer, computed from the event tables (before normalisation).

Two populations are scored: ``owners`` (保有客户, customers with a new car) and ``leads`` (customers with
an open 商机). ``DIMENSIONS`` names every dimension with its population, default direction and zh/en
labels; ``compute_features`` computes them as of a date from ``core.scoring.feature_inputs.FeatureInputs``,
using only events dated on or before that date, so a backtest can score the past; ``outcomes`` gives
what happened next. The exact definitions are in ``docs/dimensions.md``.

Conventions: time is counted in calendar days; an event "in the last N days" is dated in
(as_of − N days, as_of] (its day, whatever its time of day); everything is vectorised over customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.scoring.feature_inputs import FeatureInputs
from core.storage.models import (
    FOLLOW_UP_KINDS,
    LEAD_GRADES,
    PURCHASE_KINDS,
    SATISFACTION_GRADES,
    SCHEME_POPULATIONS,
    STAGE_TIME_COLUMNS,
)

OWNER_DIMENSIONS = ("amount_12m", "purchases_12m", "repurchase_rate")
POPULATIONS = SCHEME_POPULATIONS  # ("owners", "leads")
DIRECTIONS = ("higher", "lower")

YEAR = 365  # "last 12 months"
HALF_YEAR = 182  # "6 months" of the churn warning
TWO_YEARS = 730  # "last 24 months"
NEUTRAL_SATISFACTION = 3.0  # a customer never surveyed counts as C 一般
MISSING_EXPECTED_DAYS = 180.0  # a lead without an expected purchase date
# 满意度 A 非常满意 … E 非常不满意; F 重大客户 (a key account) counts as the best grade
SATISFACTION_SCORE = {"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0, "E": 1.0, "F": 5.0}
GRADE_RANK = {"H": 4.0, "A": 3.0, "B": 2.0, "C": 1.0, "O": 5.0}  # D 交车, M 保有 and unknown: 0
STAGE_COLUMNS = STAGE_TIME_COLUMNS  # reaching stage 1 … 7 of FUNNEL_STAGES
SERVICE_KINDS = ("finance", "insurance", "accessories")
MAINTENANCE_KINDS = ("maintenance", "repair")

_NEVER = np.iinfo(np.int64).max  # day number of a missing date: never on or before any as_of
_NONE = np.iinfo(np.int64).min  # "no such event yet" in a running maximum


@dataclass(frozen=True)
class Dimension:
    """A scoring dimension: who it applies to, which way is better, and what it means (zh, en)."""

    name: str
    population: str  # one of POPULATIONS
    direction: str  # "higher" or "lower" is better, by default
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str


@dataclass(frozen=True)
class Flag:
    """A trigger-rule input (boolean column ``flag_*`` of ``compute_features``)."""

    name: str
    populations: tuple[str, ...]
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str


_DIMENSIONS = (
    # owners: RFM
    Dimension("recency_days", "owners", "lower", "最近消费间隔天数", "Days since last purchase",
              "距最近一次任何消费的天数（无消费则为建档天数）",
              "Days since the last purchase of any kind (none: days since the customer was created)"),
    Dimension("amount_12m", "owners", "higher", "近12个月消费金额", "Amount, last 12 months",
              "近365天内所有消费的金额合计", "Sum of all purchase amounts in the last 365 days"),
    Dimension("purchases_12m", "owners", "higher", "近12个月消费次数", "Purchases, last 12 months",
              "近365天内的消费笔数（任何类型）", "Number of purchases of any kind in the last 365 days"),
    Dimension("repurchase_rate", "owners", "higher", "复购率", "Repurchase rate",
              "近4个季度（各91天）中有消费的季度占比，只计首次消费之后的季度",
              "Share of the last four 91-day quarters with a purchase, counting quarters after the first one"),
    # owners: activity
    Dimension("visits_12m", "owners", "higher", "近12个月到店次数", "Store visits, last 12 months",
              "近365天内到店跟进记录数加商机到店次数",
              "Visit follow-ups plus leads' store visits in the last 365 days"),
    Dimension("test_drives_12m", "owners", "higher", "近12个月试驾次数", "Test drives, last 12 months",
              "近365天内商机的试乘试驾次数", "Leads' test drives in the last 365 days"),
    Dimension("response_rate", "owners", "higher", "跟进响应率", "Follow-up response rate",
              "近365天内跟进记录中客户有回应的占比（无跟进为0）",
              "Share of follow-ups in the last 365 days the customer responded to (none: 0)"),
    # owners: loyalty, influence, service sensitivity
    Dimension("satisfaction", "owners", "higher", "满意度", "Satisfaction",
              "近730天满意度均分（A=5…E=1，F重大客户=5；无记录为3）",
              "Mean grade in the last 730 days (A=5 … E=1, F key account=5; none: 3)"),
    Dimension("maintenance_12m", "owners", "higher", "近12个月本店保养维修次数",
              "Maintenance and repairs at our stores, last 12 months",
              "近365天内在本集团门店的保养和维修次数", "Maintenance and repair purchases in the last 365 days"),
    Dimension("events_12m", "owners", "higher", "近12个月活动参与次数", "Events attended, last 12 months",
              "近365天内参加门店活动的次数", "Store events attended in the last 365 days"),
    Dimension("referrals", "owners", "higher", "转介绍人数", "Referrals",
              "截至当日由其转介绍建档的客户数", "Customers referred by this one, created up to as_of"),
    Dimension("service_products", "owners", "higher", "增值服务种类", "Service products used",
              "近730天内购买过的金融、保险、精品种类数（0–3）",
              "Distinct kinds among finance, insurance, accessories bought in the last 730 days (0–3)"),
    Dimension("complaints_open", "owners", "lower", "未解决投诉", "Open complaints",
              "近365天内未解决的投诉数", "Unresolved complaints in the last 365 days"),
    # leads
    Dimension("grade_rank", "leads", "higher", "意向级别", "Lead grade",
              "O=5，H=4，A=3，B=2，C=1，其他为0；当日前已订车记为O",
              "O=5, H=4, A=3, B=2, C=1, others 0; ordered by as_of counts as O"),
    Dimension("days_to_expected", "leads", "lower", "距预计购车天数", "Days to expected purchase",
              "预计购车日期减当日天数（无日期为180，已过为负）",
              "Expected purchase date minus as_of in days (none: 180; past: negative)"),
    Dimension("stage_reached_asof", "leads", "higher", "已达漏斗阶段", "Funnel stage reached",
              "当日前到达的最高漏斗阶段（0线索…7交车）",
              "Highest funnel stage reached by as_of (0 lead … 7 delivery)"),
    Dimension("days_since_contact", "leads", "lower", "距上次联系天数", "Days since last contact",
              "距该商机最近一次联系的天数（从未联系为商机创建天数）",
              "Days since the lead's last contact (never: days since the lead was created)"),
    Dimension("visits", "leads", "higher", "到店次数", "Store visits",
              "该商机的到店（邀约到店阶段及到店跟进）次数", "The lead's store visit plus its visit follow-ups"),
    Dimension("test_drive", "leads", "higher", "已试驾", "Test driven",
              "该商机当日前已试乘试驾为1，否则为0", "1 if the lead had a test drive by as_of, else 0"),
    Dimension("lead_response_rate", "leads", "higher", "跟进响应率", "Follow-up response rate",
              "该客户截至当日全部跟进中有回应的占比（无跟进为0）",
              "Share of all the customer's follow-ups up to as_of responded to (none: 0)"),
    Dimension("asked_competitor", "leads", "lower", "询问竞品", "Asked about a competitor",
              "该商机询问过竞品为1，否则为0", "1 if the lead asked about a competitor, else 0"),
)  # fmt: skip

#: every dimension by name; names are unique across populations
DIMENSIONS: dict[str, Dimension] = {d.name: d for d in _DIMENSIONS}

#: trigger-rule inputs: boolean columns ``flag_*`` of ``compute_features``
FLAGS: dict[str, Flag] = {
    f.name: f
    for f in (
        Flag("flag_no_purchase_6m_no_response", ("owners",), "6个月未消费且未响应",
             "No purchase for 6 months and no response",
             "近182天内无任何消费，且近182天内有跟进但都没有回应",
             "No purchase in the last 182 days, and follow-ups in the last 182 days none of which was responded to"),
        Flag("flag_frequency_down_50", ("owners",), "消费频次下降50%以上", "Purchase frequency down 50%+",
             "近365天消费笔数不超过此前365天的一半，且此前至少2笔",
             "Purchases in the last 365 days ≤ half of the 365 days before, which had at least 2"),
        Flag("flag_asked_competitor", ("owners", "leads"), "询问竞品", "Asked about a competitor",
             "近365天内创建或当日仍未结束的商机中询问过竞品",
             "A lead created in the last 365 days, or still open at as_of, asked about a competitor"),
    )
}  # fmt: skip


def dimension_names(population: str) -> list[str]:
    """The dimensions of a population, in registry order (the column order of ``compute_features``).

    Examples
    --------
    >>> dimension_names("leads")[:3]
    ['grade_rank', 'days_to_expected', 'stage_reached_asof']
    """
    _check_population(population)
    return [d.name for d in _DIMENSIONS if d.population == population]


def flag_names(population: str) -> list[str]:
    """The trigger-rule flags of a population, in registry order.

    Examples
    --------
    >>> flag_names("leads")
    ['flag_asked_competitor']
    """
    _check_population(population)
    return [f.name for f in FLAGS.values() if population in f.populations]


def _check_population(population: str) -> None:
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {POPULATIONS}, not {population!r}")


def owner_features(purchases: pd.DataFrame, owner_ids: np.ndarray, *, as_of: dt.date) -> pd.DataFrame:
    """RFM dimensions of each owner as of ``as_of``.

    - ``amount_12m``: sum of purchase amounts dated in (as_of − 365 days, as_of].
    - ``purchases_12m``: number of those purchases.
    - ``repurchase_rate``: share of the last four 91-day quarters, ending at as_of, with at least one
      purchase, counting only quarters that end after the customer's first purchase.
      A customer with no counted quarter has 0.

    Examples
    --------
    >>> p = pd.DataFrame({"customer_id": [1, 1, 2], "at": pd.to_datetime(["2026-01-10", "2026-05-01", "2025-01-01"]),
    ...                   "amount": [100.0, 50.0, 9.0]})
    >>> owner_features(p, np.array([1, 2, 3]), as_of=dt.date(2026, 6, 30))  # doctest: +NORMALIZE_WHITESPACE
                 amount_12m  purchases_12m  repurchase_rate
    customer_id
    1                 150.0              2              1.0
    2                   0.0              0              0.0
    3                   0.0              0              0.0
    """
    end = np.datetime64(as_of, "D")
    at = pd.to_datetime(purchases["at"]).to_numpy().astype("datetime64[D]")
    cust = purchases["customer_id"].to_numpy()
    amount = purchases["amount"].to_numpy(dtype=float)
    ids = np.asarray(owner_ids)
    pos = pd.Index(ids).get_indexer(cust)
    valid = (pos >= 0) & (at <= end)
    pos, at, amount = pos[valid], at[valid], amount[valid]
    age = (end - at).astype(np.int64)  # days before as_of
    in12 = age < 365
    n = len(ids)
    amount_12m = np.bincount(pos[in12], weights=amount[in12], minlength=n)
    purchases_12m = np.bincount(pos[in12], minlength=n)
    first = np.full(n, -1, dtype=np.int64)  # -1: no purchase yet
    np.maximum.at(first, pos, age)  # days since first purchase (the oldest one)
    quarter = age // 91
    hit = np.zeros((n, 4), dtype=bool)
    q_ok = quarter < 4
    hit[pos[q_ok], quarter[q_ok]] = True
    # quarter q spans ages [91q, 91q+91); it counts once the first purchase is older than its end
    counted = first[:, None] >= (np.arange(4) * 91)[None, :]
    n_counted = counted.sum(axis=1)
    rate = np.divide((hit & counted).sum(axis=1), n_counted, out=np.zeros(n), where=n_counted > 0)
    return pd.DataFrame(
        {"amount_12m": amount_12m, "purchases_12m": purchases_12m.astype(np.int64), "repurchase_rate": rate},
        index=pd.Index(ids, name="customer_id"),
    )


# ---- array helpers ---------------------------------------------------------------------------------------


def _day(as_of: dt.date) -> int:
    return int(np.datetime64(as_of, "D").astype(np.int64))


def _days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of datetimes; a missing date is ``_NEVER``."""
    days = np.asarray(values, dtype="datetime64[us]").astype("datetime64[D]").view(np.int64).copy()
    days[days == np.iinfo(np.int64).min] = _NEVER
    return days


def _within(day: np.ndarray, end: int, window: int) -> np.ndarray:
    """Dated in (end − window, end]."""
    return (day <= end) & (day > end - window)


def _ids(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=np.int64, na_value=-1)


def _codes(values: pd.Series, vocabulary: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """Whether each categorical value is one of ``wanted``."""
    table = np.zeros(len(vocabulary) + 1, dtype=bool)  # the last entry: code -1, an unknown value
    table[[vocabulary.index(w) for w in wanted]] = True
    return table[values.cat.codes.to_numpy()]


def _unique_ids(values: np.ndarray) -> np.ndarray:
    """Sorted distinct ids; dense non-negative ids (the database's) are counted rather than sorted."""
    if len(values) and values.min() >= 0 and values.max() <= 8 * len(values) + 1_000_000:
        return np.flatnonzero(np.bincount(values)).astype(np.int64)
    return np.unique(values)


def _locate(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value in the sorted, unique ``keys``, and whether it is there at all."""
    if len(keys) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    low, high = int(keys[0]), int(keys[-1])
    if low >= 0 and high <= 8 * max(len(keys), len(values)) + 1_000_000:
        # database ids are dense: a lookup table beats a binary search by far on millions of rows
        slot = np.full(high + 2, -1, dtype=np.int64)
        slot[keys] = np.arange(len(keys))
        pos = slot[np.clip(values, -1, high + 1)]
        found = pos >= 0
        return np.where(found, pos, 0), found
    pos = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return pos, keys[pos] == values


def _count(pos: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(pos[mask], minlength=n).astype(float)


def _latest(pos: np.ndarray, mask: np.ndarray, day: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, _NONE, dtype=np.int64)
    np.maximum.at(out, pos[mask], day[mask])
    return out


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0)


def _days_since(last: np.ndarray, fallback: np.ndarray, end: int) -> np.ndarray:
    """as_of − the last event's day; without one (``_NONE``), as_of − the fallback day."""
    return (end - np.where(last == _NONE, fallback, last)).astype(float)


def _created_days(inputs: FeatureInputs, ids: np.ndarray) -> np.ndarray:
    cust = inputs.customers
    order = np.argsort(_ids(cust["id"]), kind="stable")
    keys = _ids(cust["id"])[order]
    pos, found = _locate(keys, ids)
    created = _days(cust["created_at"])[order]
    return np.where(found, created[pos] if len(keys) else 0, _NEVER)


def _open_leads(leads: pd.DataFrame, end: int) -> np.ndarray:
    """Created on or before as_of and neither delivered nor defeated by then (by the dates, not the status)."""
    return (
        (_days(leads["created_at"]) <= end)
        & ~(_days(leads["delivery_at"]) <= end)
        & ~(_days(leads["defeated_at"]) <= end)
    )


def _asked_competitor(inputs: FeatureInputs, ids: np.ndarray, end: int) -> np.ndarray:
    leads = inputs.leads
    recent = _within(_days(leads["created_at"]), end, YEAR) | _open_leads(leads, end)
    pos, found = _locate(ids, _ids(leads["customer_id"]))
    return _count(pos, found & recent & leads["asked_competitor"].to_numpy(dtype=bool), len(ids)) > 0


# ---- populations ---------------------------------------------------------------------------------------


def _owner_ids(inputs: FeatureInputs, end: int) -> np.ndarray:
    p = inputs.purchases
    new_car = _codes(p["kind"], PURCHASE_KINDS, ("new_car",)) & (_days(p["at"]) <= end)
    return _unique_ids(_ids(p["customer_id"])[new_car])


def _lead_rows(inputs: FeatureInputs, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Customers with an open lead at as_of (sorted) and the row of their most recent such lead."""
    leads = inputs.leads
    rows = np.flatnonzero(_open_leads(leads, end))
    cust = _ids(leads["customer_id"])[rows]
    created = leads["created_at"].to_numpy(dtype="datetime64[us]").view(np.int64)[rows]
    order = np.lexsort((_ids(leads["id"])[rows], created, cust))  # newest last; equal times: higher id
    rows, cust = rows[order], cust[order]
    last = np.r_[cust[1:] != cust[:-1], True] if len(cust) else np.zeros(0, dtype=bool)
    return cust[last], rows[last]


# ---- owners ----------------------------------------------------------------------------------------------


def _owner_features(inputs: FeatureInputs, as_of: dt.date) -> pd.DataFrame:
    end = _day(as_of)
    ids = _owner_ids(inputs, end)
    n = len(ids)
    out: dict[str, np.ndarray] = {}

    p = inputs.purchases
    p_day = _days(p["at"])
    p_pos, p_found = _locate(ids, _ids(p["customer_id"]))
    p_seen = p_found & (p_day <= end)
    seen = pd.DataFrame({c: p[c].to_numpy()[p_seen] for c in ("customer_id", "at", "amount")})
    rfm = owner_features(seen, ids, as_of=as_of)
    out["recency_days"] = _days_since(_latest(p_pos, p_seen, p_day, n), _created_days(inputs, ids), end)
    for name in OWNER_DIMENSIONS:
        out[name] = rfm[name].to_numpy(dtype=float)

    f = inputs.follow_ups
    f_day = _days(f["at"])
    f_pos, f_found = _locate(ids, _ids(f["customer_id"]))
    f_year = f_found & _within(f_day, end, YEAR)
    f_responded = f["responded"].to_numpy(dtype=bool)
    f_visit = _codes(f["kind"], FOLLOW_UP_KINDS, ("visit",))
    leads = inputs.leads
    l_pos, l_found = _locate(ids, _ids(leads["customer_id"]))
    out["visits_12m"] = _count(f_pos, f_year & f_visit, n) + _count(
        l_pos, l_found & _within(_days(leads["visit_at"]), end, YEAR), n
    )
    out["test_drives_12m"] = _count(l_pos, l_found & _within(_days(leads["test_drive_at"]), end, YEAR), n)
    out["response_rate"] = _share(_count(f_pos, f_year & f_responded, n), _count(f_pos, f_year, n))

    s = inputs.satisfaction
    s_day = _days(s["at"])
    s_pos, s_found = _locate(ids, _ids(s["customer_id"]))
    score = np.array([SATISFACTION_SCORE[g] for g in SATISFACTION_GRADES] + [np.nan])[
        s["grade"].cat.codes.to_numpy()
    ]
    graded = s_found & _within(s_day, end, TWO_YEARS) & ~np.isnan(score)
    total = np.bincount(s_pos[graded], weights=score[graded], minlength=n)
    surveys = _count(s_pos, graded, n)
    out["satisfaction"] = np.where(surveys > 0, total / np.maximum(surveys, 1), NEUTRAL_SATISFACTION)

    p_year = p_seen & (p_day > end - YEAR)
    out["maintenance_12m"] = _count(p_pos, p_year & _codes(p["kind"], PURCHASE_KINDS, MAINTENANCE_KINDS), n)
    e = inputs.event_attendances
    e_pos, e_found = _locate(ids, _ids(e["customer_id"]))
    out["events_12m"] = _count(e_pos, e_found & _within(_days(e["at"]), end, YEAR), n)
    c = inputs.customers
    r_pos, r_found = _locate(ids, _ids(c["referred_by_id"]))
    out["referrals"] = _count(r_pos, r_found & (_days(c["created_at"]) <= end), n)
    used = np.zeros((n, len(SERVICE_KINDS)), dtype=bool)
    p_two = p_seen & (p_day > end - TWO_YEARS)
    for k, kind in enumerate(SERVICE_KINDS):
        used[p_pos[p_two & _codes(p["kind"], PURCHASE_KINDS, (kind,))], k] = True
    out["service_products"] = used.sum(axis=1).astype(float)
    unresolved = s["complaint"].to_numpy(dtype=bool) & ~s["complaint_resolved"].fillna(False).to_numpy(bool)
    out["complaints_open"] = _count(s_pos, s_found & _within(s_day, end, YEAR) & unresolved, n)

    bought_6m = _count(p_pos, p_seen & (p_day > end - HALF_YEAR), n) > 0
    answered_6m = _count(f_pos, f_found & _within(f_day, end, HALF_YEAR) & f_responded, n) > 0
    # "no response to outreach" needs outreach: an owner nobody contacted has not ignored anyone
    reached_6m = _count(f_pos, f_found & _within(f_day, end, HALF_YEAR), n) > 0
    before = _count(p_pos, p_found & _within(p_day, end - YEAR, YEAR), n)
    flags = {
        "flag_no_purchase_6m_no_response": ~bought_6m & reached_6m & ~answered_6m,
        "flag_frequency_down_50": (before >= 2) & (out["purchases_12m"] <= 0.5 * before),
        "flag_asked_competitor": _asked_competitor(inputs, ids, end),
    }
    return _frame(ids, out, flags, "owners")


# ---- leads -----------------------------------------------------------------------------------------------


def _lead_features(inputs: FeatureInputs, as_of: dt.date) -> pd.DataFrame:
    end = _day(as_of)
    ids, rows = _lead_rows(inputs, end)
    n = len(ids)
    leads = inputs.leads
    out: dict[str, np.ndarray] = {}

    def day(column: str) -> np.ndarray:
        return _days(leads[column].to_numpy()[rows])

    ranks = np.array([GRADE_RANK.get(g, 0.0) for g in LEAD_GRADES] + [0.0])  # last: unknown grade
    ordered = day("order_at") <= end
    out["grade_rank"] = np.where(ordered, GRADE_RANK["O"], ranks[leads["grade"].cat.codes.to_numpy()[rows]])
    expected = day("expected_purchase_date")
    out["days_to_expected"] = np.where(
        expected == _NEVER, MISSING_EXPECTED_DAYS, (expected - end).astype(float)
    )
    stage = np.zeros(n)
    for k, column in enumerate(STAGE_COLUMNS, start=1):
        stage = np.where(day(column) <= end, float(k), stage)
    out["stage_reached_asof"] = stage

    f = inputs.follow_ups
    f_day = _days(f["at"])
    f_seen = f_day <= end
    lead_ids = _ids(leads["id"])[rows]
    by_id = np.argsort(lead_ids, kind="stable")
    fl_pos, fl_found = _locate(lead_ids[by_id], _ids(f["lead_id"]))  # follow-ups of the row leads
    fl_pos = by_id[fl_pos] if n else fl_pos
    fl_found &= f_seen
    last = _latest(fl_pos, fl_found, f_day, n)
    for column in ("first_contact_at", "last_contact_at"):
        contact = day(column)
        last = np.maximum(last, np.where(contact <= end, contact, _NONE))
    out["days_since_contact"] = _days_since(last, day("created_at"), end)
    f_visit = _codes(f["kind"], FOLLOW_UP_KINDS, ("visit",))
    out["visits"] = (day("visit_at") <= end) + _count(fl_pos, fl_found & f_visit, n)
    out["test_drive"] = (day("test_drive_at") <= end).astype(float)
    fc_pos, fc_found = _locate(ids, _ids(f["customer_id"]))
    fc_seen = fc_found & f_seen
    responded = _count(fc_pos, fc_seen & f["responded"].to_numpy(dtype=bool), n)
    out["lead_response_rate"] = _share(responded, _count(fc_pos, fc_seen, n))
    out["asked_competitor"] = leads["asked_competitor"].to_numpy(dtype=bool)[rows].astype(float)
    flags = {"flag_asked_competitor": _asked_competitor(inputs, ids, end)}
    return _frame(ids, out, flags, "leads")


def _frame(ids: np.ndarray, dims: dict[str, np.ndarray], flags: dict[str, np.ndarray], population: str):
    columns = {name: np.asarray(dims[name], dtype=float) for name in dimension_names(population)}
    columns.update({name: np.asarray(flags[name], dtype=bool) for name in flag_names(population)})
    return pd.DataFrame(columns, index=pd.Index(ids.astype(np.int64), name="customer_id"))


# ---- public API ------------------------------------------------------------------------------------------


def compute_features(inputs: FeatureInputs, *, population: str, as_of: dt.date) -> pd.DataFrame:
    """Raw dimension values (before normalisation) and trigger flags of a population as of a date.

    Only events dated on or before ``as_of`` are read, so the same inputs give the features of any past
    date (the backtest's). Definitions: ``DIMENSIONS``, ``FLAGS`` and ``docs/dimensions.md``.

    Parameters
    ----------
    inputs : FeatureInputs
        The event tables (``load_feature_inputs`` or ``FeatureInputs.from_frames``).
    population : {"owners", "leads"}
        ``owners``: customers with a new-car purchase on or before ``as_of``. ``leads``: customers with
        a lead open at ``as_of`` (created by then, neither delivered nor defeated by then); the row
        describes their most recent open lead.
    as_of : datetime.date
        The scoring date; events of that whole day count.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (ascending), one float column per dimension of the population
        (``dimension_names(population)``), then one bool column per flag (``flag_names(population)``).

    Examples
    --------
    >>> inputs = FeatureInputs.from_frames({
    ...     "customers": pd.DataFrame({"id": [1, 2], "kind": "person", "region_id": 1, "store_id": 1,
    ...         "advisor_id": 1, "referred_by_id": [None, 1], "is_owner": [True, False],
    ...         "created_at": pd.to_datetime(["2025-03-01", "2026-02-01"])}),
    ...     "purchases": pd.DataFrame({"customer_id": [1, 1], "kind": ["new_car", "maintenance"],
    ...         "at": pd.to_datetime(["2025-03-01", "2026-05-31"]), "amount": [150000.0, 800.0]})})
    >>> f = compute_features(inputs, population="owners", as_of=dt.date(2026, 6, 30))
    >>> f.index.tolist(), f.loc[1, ["recency_days", "purchases_12m", "maintenance_12m", "referrals"]].tolist()
    ([1], [30.0, 1.0, 1.0, 1.0])
    >>> f.loc[1, "satisfaction"], bool(f.loc[1, "flag_no_purchase_6m_no_response"])
    (np.float64(3.0), False)
    >>> compute_features(inputs, population="owners", as_of=dt.date(2025, 2, 28)).index.tolist()
    []
    """
    _check_population(population)
    if population == "owners":
        return _owner_features(inputs, as_of)
    return _lead_features(inputs, as_of)


def outcomes(inputs: FeatureInputs, *, population: str, as_of: dt.date, horizon_days: int) -> pd.Series:
    """What happened after ``as_of`` to each member of the population, for backtests.

    Parameters
    ----------
    inputs : FeatureInputs
    population : {"owners", "leads"}
        The same members, in the same order, as ``compute_features(inputs, population=..., as_of=...)``.
    as_of : datetime.date
    horizon_days : int
        Look ahead this many days: events dated in (as_of, as_of + horizon_days].

    Returns
    -------
    pandas.Series
        ``outcome``, int 0/1, indexed by ``customer_id``. Owners: 1 if the customer made any purchase
        (of any kind) in the horizon. Leads: 1 if the lead that defines the row was ordered (``order_at``)
        in the horizon.

    Examples
    --------
    >>> inputs = FeatureInputs.from_frames({
    ...     "customers": pd.DataFrame({"id": [1, 2], "kind": "person", "region_id": 1, "store_id": 1,
    ...         "advisor_id": 1, "referred_by_id": None, "is_owner": True,
    ...         "created_at": pd.to_datetime(["2025-03-01", "2025-04-01"])}),
    ...     "purchases": pd.DataFrame({"customer_id": [1, 2, 2], "kind": ["new_car", "new_car", "repair"],
    ...         "at": pd.to_datetime(["2025-03-01", "2025-04-01", "2026-07-15"]), "amount": 1.0})})
    >>> outcomes(inputs, population="owners", as_of=dt.date(2026, 6, 30), horizon_days=90).to_dict()
    {1: 0, 2: 1}
    """
    _check_population(population)
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    end = _day(as_of)
    if population == "owners":
        ids = _owner_ids(inputs, end)
        p = inputs.purchases
        pos, found = _locate(ids, _ids(p["customer_id"]))
        happened = (
            _count(pos, found & _within(_days(p["at"]), end + horizon_days, horizon_days), len(ids)) > 0
        )
    else:
        ids, rows = _lead_rows(inputs, end)
        happened = _within(_days(inputs.leads["order_at"])[rows], end + horizon_days, horizon_days)
    return pd.Series(happened.astype(np.int64), index=pd.Index(ids, name="customer_id"), name="outcome")
