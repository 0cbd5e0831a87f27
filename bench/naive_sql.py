"""The naive baseline of bench_pages.py: each analysis page's figures with plain SQL GROUP BY queries on SQLite,
run again for every filter change, and the same figures from the in-memory facts to check them against.

Independent of core.analytics.funnel / core.analytics.defeats / core.analytics.overview / core.analytics.tier_report: the definitions are written
again here in SQL (the README's), so an equal result is a second implementation agreeing.
Each ``PAGE_SQL[page](conn, f)`` returns a dict of plain figures (ints, floats, tuples); ``PAGE_FACTS[page]``
returns the same dict from the facts (``core.analytics.facts_figures``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from core.analytics.overview import FOLLOW_UP_DAYS, Filters

TIME_COLUMNS = (
    "created_at",
    "first_contact_at",
    "needs_at",
    "visit_at",
    "test_drive_at",
    "quote_at",
    "order_at",
)
TIME_COLUMNS += ("delivery_at",)
ORDER_STAGE = 6
LATE_STAGE = 4
RECOVERABLE = ("price", "finance", "delivery_time")


def _ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def _in(column: str, ids: tuple[int, ...]) -> str:
    return f" AND {column} IN ({','.join(str(int(i)) for i in ids)})" if ids else ""


def _lead_where(f: Filters, alias: str = "l", customer: str = "c") -> str:
    return (
        _in(f"{alias}.store_id", f.store_ids)
        + _in(f"{alias}.channel_id", f.channel_ids)
        + _in(f"{customer}.region_id", f.region_ids)
    )


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


# ---- overview ---------------------------------------------------------------------------------------------


def _lead_counts(conn, f: Filters) -> dict:
    s, e = _ts(f.start_dt), _ts(f.end_dt)
    sums = ", ".join(
        f"SUM(l.{c} >= :s AND l.{c} < :e)" for c in ("created_at", "order_at", "delivery_at", "defeated_at")
    )
    row = _rows(
        conn,
        f"SELECT {sums} FROM leads l JOIN customers c ON c.id = l.customer_id WHERE 1=1{_lead_where(f)}",
        {"s": s, "e": e},
    )[0]
    n, orders, delivered, defeated = (int(x or 0) for x in row)
    return {"leads": n, "orders": orders, "delivered": delivered, "defeated": defeated}


def _overdue_sql(last: str, at: dt.datetime) -> str:
    return " OR ".join(
        f"(l.grade = '{g}' AND ({last} IS NULL OR {last} < '{_ts(at - dt.timedelta(days=d))}'))"
        for g, d in FOLLOW_UP_DAYS.items()
    )


def _overdue(conn, f: Filters, current: bool) -> int:
    at = f.end_dt
    if current:
        sql = (
            "SELECT COUNT(*) FROM leads l JOIN customers c ON c.id = l.customer_id "
            f"WHERE l.status = 'open' AND l.created_at < :at AND ({_overdue_sql('l.last_contact_at', at)})"
            + _lead_where(f)
        )
    else:
        last = "COALESCE(fu.last_at, CASE WHEN l.first_contact_at < :at THEN l.first_contact_at END)"
        sql = (
            "SELECT COUNT(*) FROM leads l JOIN customers c ON c.id = l.customer_id "
            "LEFT JOIN (SELECT lead_id, MAX(at) AS last_at FROM follow_ups WHERE at < :at GROUP BY lead_id) fu "
            "ON fu.lead_id = l.id WHERE l.created_at < :at "
            "AND (l.delivery_at IS NULL OR l.delivery_at >= :at) AND (l.defeated_at IS NULL OR l.defeated_at >= :at) "
            f"AND ({_overdue_sql(last, at)})" + _lead_where(f)
        )
    return int(_rows(conn, sql, {"at": _ts(at)})[0][0])


def _tier_where(f: Filters) -> str:
    return (
        " AND t.effective_from < :at AND (t.effective_to IS NULL OR t.effective_to >= :at)"
        " AND t.scheme_id IN (SELECT id FROM scoring_schemes WHERE population = 'owners')"
        + _in("c.store_id", f.store_ids)
        + _in("c.region_id", f.region_ids)
        + _in("c.first_channel_id", f.channel_ids)
    )


def _tier_counts(conn, f: Filters) -> tuple:
    rows = _rows(
        conn,
        "SELECT t.tier, COUNT(*) FROM tier_assignments t JOIN customers c ON c.id = t.customer_id "
        f"WHERE 1=1{_tier_where(f)} GROUP BY t.tier ORDER BY t.tier",
        {"at": _ts(f.end_dt)},
    )
    return tuple((str(a), int(b)) for a, b in rows)


def overview_sql(conn, f: Filters, latest: dt.date) -> dict:
    prev = f.previous()
    return {
        "current": {**_lead_counts(conn, f), "overdue": _overdue(conn, f, f.end >= latest)},
        "previous": {**_lead_counts(conn, prev), "overdue": _overdue(conn, prev, prev.end >= latest)},
        "tiers": _tier_counts(conn, f),
        "tiers_previous": _tier_counts(conn, prev),
    }


def overview_facts(facts, tiers, scheme, f: Filters, latest: dt.date) -> dict:
    from core.analytics import facts_figures as ff

    got = ff.overview(facts, tiers, f, latest, scheme)
    keep = ("leads", "orders", "delivered", "defeated", "overdue")

    def counts(frame) -> tuple:
        return tuple(
            sorted((str(t), int(n)) for t, n in zip(frame["tier"], frame["customers"], strict=True) if n)
        )

    return {
        "current": {k: got["current"][k] for k in keep},
        "previous": {k: got["previous"][k] for k in keep},
        "tiers": counts(got["tiers"]),
        "tiers_previous": counts(got["tiers_previous"]),
    }


# ---- funnel -------------------------------------------------------------------------------------------------


def _period(f: Filters, column: str) -> tuple[str, dict]:
    return f" AND {column} >= :s AND {column} < :e", {"s": _ts(f.start_dt), "e": _ts(f.end_dt)}


def _stage_counts(conn, f: Filters) -> tuple:
    where, p = _period(f, "l.created_at")
    rows = dict(
        _rows(
            conn,
            "SELECT l.stage_reached, COUNT(*) FROM leads l JOIN customers c ON c.id = l.customer_id "
            f"WHERE 1=1{where}{_lead_where(f)} GROUP BY l.stage_reached",
            p,
        )
    )
    return tuple(sum(int(n) for s, n in rows.items() if s >= i) for i in range(len(TIME_COLUMNS)))


def funnel_sql(conn, f: Filters, latest: dt.date) -> dict:
    where, p = _period(f, "l.created_at")
    base = f"FROM leads l JOIN customers c ON c.id = l.customer_id WHERE 1=1{where}{_lead_where(f)}"
    by = {}
    for channel, stage, n in _rows(
        conn, f"SELECT l.channel_id, l.stage_reached, COUNT(*) {base} GROUP BY 1, 2", p
    ):
        by.setdefault(int(channel), [0] * len(TIME_COLUMNS))
        for i in range(int(stage) + 1):
            by[int(channel)][i] += int(n)
    durations = []
    for i in range(1, len(TIME_COLUMNS)):
        a, b = TIME_COLUMNS[i - 1], TIME_COLUMNS[i]
        inner = (
            f"SELECT (julianday(l.{b}) - julianday(l.{a})) AS d {base} "
            f"AND l.stage_reached >= {i} AND l.{a} IS NOT NULL AND l.{b} IS NOT NULL"
        )
        n, median = _rows(
            conn,
            "SELECT MAX(n), AVG(d) FROM (SELECT d, ROW_NUMBER() OVER (ORDER BY d) AS rn, COUNT(*) OVER () AS n "
            f"FROM ({inner})) WHERE rn IN ((n + 1) / 2, (n + 2) / 2)",
            p,
        )[0]
        durations.append((int(n or 0), None if median is None else round(float(median), 6)))
    minutes = "(CAST(strftime('%s', l.first_contact_at) AS INTEGER) - CAST(strftime('%s', l.created_at) AS INTEGER)) / 60.0"
    bucket = (
        f"CASE WHEN l.first_contact_at IS NULL THEN 'never' WHEN {minutes} <= 5 THEN 'le_5min' "
        f"WHEN {minutes} <= 15 THEN 'le_15min' WHEN {minutes} <= 120 THEN 'le_2h' ELSE 'later' END"
    )
    speed = {
        str(k): (int(n), int(o))
        for k, n, o in _rows(
            conn, f"SELECT {bucket}, COUNT(*), SUM(l.stage_reached >= {ORDER_STAGE}) {base} GROUP BY 1", p
        )
    }
    return {
        "funnel": _stage_counts(conn, f),
        "previous": _stage_counts(conn, f.previous()),
        "by_channel": tuple(sorted((k, tuple(v)) for k, v in by.items())),
        "durations": tuple(durations),
        "speed": tuple(sorted(speed.items())),
    }


def funnel_facts(facts, tiers, scheme, f: Filters, latest: dt.date) -> dict:
    from core.analytics import facts_figures as ff
    from core.analytics import funnel as fu

    leads = ff.period_leads(facts, f)
    prev = ff.period_leads(facts, f.previous())
    by = {}
    for channel in sorted(set(leads["channel_id"].tolist())):
        part = leads[leads["channel_id"] == channel]
        by[int(channel)] = tuple(int(x) for x in fu.funnel_from_leads(part)["count"])
    dur = fu.stage_durations_from_leads(leads)
    sp = fu.first_contact_speed_from_leads(leads)
    return {
        "funnel": tuple(int(x) for x in fu.funnel_from_leads(leads)["count"]),
        "previous": tuple(int(x) for x in fu.funnel_from_leads(prev)["count"]),
        "by_channel": tuple(sorted(by.items())),
        "durations": tuple(
            (int(n), None if m != m else round(float(m), 6))
            for n, m in zip(dur["leads"], dur["median_days"], strict=True)
        ),
        "speed": tuple(
            sorted(
                (str(b), (int(n), int(o)))
                for b, n, o in zip(sp["bucket"], sp["leads"], sp["orders"], strict=True)
                if n
            )
        ),
    }


# ---- defeats ------------------------------------------------------------------------------------------------


def _defeat_base(f: Filters) -> tuple[str, dict]:
    sql = (
        "FROM defeats d JOIN leads l ON l.id = d.lead_id JOIN customers c ON c.id = d.customer_id "
        "WHERE d.at >= :s AND d.at < :e AND (d.approval IS NULL OR d.approval != 'returned')" + _lead_where(f)
    )
    return sql, {"s": _ts(f.start_dt), "e": _ts(f.end_dt)}


def defeats_sql(conn, f: Filters, latest: dt.date) -> dict:
    base, p = _defeat_base(f)
    pareto = _rows(conn, f"SELECT d.reason, COUNT(*) {base} GROUP BY 1", p)
    model = _rows(conn, f"SELECT COALESCE(l.intended_model, '—'), d.reason, COUNT(*) {base} GROUP BY 1, 2", p)
    subs = _rows(
        conn,
        f"SELECT COALESCE(d.sub_reason, 'unspecified'), COUNT(*) {base} AND d.reason = 'price' GROUP BY 1",
        p,
    )
    months = _rows(conn, f"SELECT strftime('%Y-%m', d.at), d.reason, COUNT(*) {base} GROUP BY 1, 2", p)
    first = f"SELECT d.customer_id, MIN(d.at) AS first_at, MAX(d.reactivated) AS react {base} GROUP BY d.customer_id"
    won = (
        "EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = x.customer_id AND p.kind = 'new_car' "
        "AND p.at > date(x.first_at))"
    )
    n, react, won_n = _rows(conn, f"SELECT COUNT(*), SUM(react), SUM({won}) FROM ({first}) x", p)[0]
    candidates = _rows(
        conn,
        f"WITH x AS ({first}), "
        f"excluded AS (SELECT customer_id FROM x WHERE react OR {won}), "
        "cand AS (SELECT d.customer_id, d.at, d.stage_lost, "
        "ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.at DESC, d.id DESC) AS rn "
        f"{base} AND NOT d.reactivated AND d.stage_lost >= {LATE_STAGE} "
        f"AND d.reason IN ({','.join(repr(r) for r in RECOVERABLE)}) "
        "AND d.customer_id NOT IN (SELECT customer_id FROM excluded)) "
        "SELECT customer_id FROM cand WHERE rn = 1 ORDER BY at DESC, stage_lost DESC, customer_id LIMIT 200",
        p,
    )
    return {
        "pareto": tuple(sorted((str(r), int(c)) for r, c in pareto)),
        "by_model": tuple(sorted((str(g), str(r), int(c)) for g, r, c in model)),
        "price_sub_reasons": tuple(sorted((str(r), int(c)) for r, c in subs)),
        "monthly": tuple(sorted((str(m), str(r), int(c)) for m, r, c in months)),
        "win_back": (int(n), int(react or 0), int(won_n or 0)),
        "candidates": tuple(int(c) for (c,) in candidates),
    }


def defeats_facts(facts, tiers, scheme, f: Filters, latest: dt.date, people=None) -> dict:
    from core.analytics import facts_figures as ff

    pareto = ff.defeat_figure(facts, "pareto", f)
    model = ff.defeat_figure(facts, "breakdown", f, by="model")
    subs = ff.defeat_figure(facts, "price_sub_reasons", f)
    months = ff.defeat_figure(facts, "monthly_trend", f)
    wb = ff.defeat_figure(facts, "win_back", f)
    cand = ff.defeat_figure(facts, "reactivation_candidates", f, people=people, limit=200)
    return {
        "pareto": tuple(
            sorted((str(r), int(c)) for r, c in zip(pareto["reason"], pareto["count"], strict=True))
        ),
        "by_model": tuple(
            sorted(
                (str(g), str(r), int(c))
                for g, r, c in zip(model["group"], model["reason"], model["count"], strict=True)
            )
        ),
        "price_sub_reasons": tuple(
            sorted((str(r), int(c)) for r, c in zip(subs["sub_reason"], subs["count"], strict=True))
        ),
        "monthly": tuple(
            sorted(
                (str(m), str(r), int(c))
                for m, r, c in zip(months["month"], months["reason"], months["count"], strict=True)
            )
        ),
        "win_back": (wb["defeated"], wb["reactivated"], wb["won_back"]),
        "candidates": tuple(int(c) for c in cand["customer_id"]),
    }


# ---- tiers --------------------------------------------------------------------------------------------------


def tiers_sql(conn, f: Filters, latest: dt.date, tier: str | None = None) -> dict:
    p = {"at": _ts(f.end_dt)}
    by_region = _rows(
        conn,
        "SELECT c.region_id, t.tier, COUNT(*) FROM tier_assignments t JOIN customers c ON c.id = t.customer_id "
        f"JOIN regions r ON r.id = c.region_id WHERE 1=1{_tier_where(f)} GROUP BY 1, 2",
        p,
    )
    members = _rows(
        conn,
        "SELECT c.id FROM tier_assignments t JOIN customers c ON c.id = t.customer_id "
        f"WHERE 1=1{_tier_where(f)}"
        + (" AND t.tier = :tier" if tier else "")
        + " ORDER BY t.score DESC, c.id LIMIT 200",
        {**p, "tier": tier},
    )
    return {
        "by_region": tuple(sorted((int(r), str(t), int(n)) for r, t, n in by_region)),
        "members": tuple(int(c) for (c,) in members),
    }


def tiers_facts(
    facts, tiers, scheme, f: Filters, latest: dt.date, people=None, tier: str | None = None
) -> dict:
    from core.analytics import facts_figures as ff

    by = ff.tiers_by_region(tiers, facts, f)
    members = ff.tier_members(tiers, facts, f, tier, people=people)
    return {
        "by_region": tuple(
            sorted(
                (int(r), str(t), int(n))
                for r, t, n in zip(by["region_id"], by["tier"], by["customers"], strict=True)
            )
        ),
        "members": tuple(int(c) for c in members["customer_id"]),
    }


# ---- tiers by region -------------------------------------------------------------------------------------------


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _end_of(day: dt.date) -> str:
    return _ts(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _in_force(f: Filters) -> str:
    """customer_id, region_id, tier of the owners' assignments in force at :at for the filtered customers."""
    return (
        "SELECT t.customer_id, c.region_id, t.tier FROM tier_assignments t JOIN customers c ON c.id = t.customer_id "
        f"WHERE 1=1{_tier_where(f)}"
    )


def regions_sql(conn, f: Filters, latest: dt.date) -> dict:
    """Customers per region × tier at the period's end and a year before, and the migration between them
    (customers without a tier on one side are untiered there: None)."""
    now, before = _end_of(f.end), _end_of(_year_before(f.end))
    counts = {}
    for side, at in (("now", now), ("before", before)):
        rows = _rows(
            conn, f"SELECT region_id, tier, COUNT(*) FROM ({_in_force(f)}) GROUP BY 1, 2", {"at": at}
        )
        counts[side] = tuple(sorted((-1 if r is None else int(r), str(t), int(n)) for r, t, n in rows))
    a = _in_force(f).replace(":at", ":before")
    b = _in_force(f).replace(":at", ":now")
    # each customer's tier on both sides by one GROUP BY (a FULL OUTER JOIN of the two subqueries has no index
    # to use: SQLite nests the loops, hours at 1M)
    moves = _rows(
        conn,
        "SELECT bt, nt, COUNT(*) FROM (SELECT customer_id, MAX(CASE WHEN side = 0 THEN tier END) AS bt, "
        "MAX(CASE WHEN side = 1 THEN tier END) AS nt FROM ("
        f"SELECT customer_id, tier, 0 AS side FROM ({a}) UNION ALL SELECT customer_id, tier, 1 FROM ({b})"
        ") GROUP BY customer_id) GROUP BY 1, 2",
        {"before": before, "now": now},
    )
    return {**counts, "moves": tuple(sorted(((x or ""), (y or ""), int(n)) for x, y, n in moves))}


def regions_facts(facts, tiers, scheme, f: Filters, latest: dt.date) -> dict:
    from core.analytics import facts_analysis as fa
    from core.analytics import tier_report as tr

    now = fa.tiers_at(tiers, facts, f, f.end_dt)
    before = fa.tiers_at(tiers, facts, f, tr.end_of_day(tr.year_before(f.end)))
    labels = list((scheme or {}).get("params", {}).get("labels", []))
    names = facts.names["regions"]
    yoy = tr.region_tiers_from_frames(now, before, names, labels)
    out = {}
    for side, col in (("now", "customers"), ("before", "customers_before")):
        part = yoy[yoy[col] > 0]
        out[side] = tuple(
            sorted(
                (-1 if r is None else int(r), str(t), int(n))
                for r, t, n in zip(part["region_id"], part["tier"], part[col], strict=True)
            )
        )
    moves = tr.transition_from_frames(before, now, labels, labels)
    moves = moves[moves["customers"] > 0]
    untiered = {tr.UNTIERED: ""}
    out["moves"] = tuple(
        sorted(
            (untiered.get(x, x), untiered.get(y, y), int(n))
            for x, y, n in zip(moves["from_tier"], moves["to_tier"], moves["customers"], strict=True)
        )
    )
    return out


# ---- channel ROI ----------------------------------------------------------------------------------------------


def _months(f: Filters) -> tuple[str, str]:
    """Start of the period's first month and of the month after its last (the page counts whole months)."""
    first = f.start.replace(day=1)
    after = (f.end.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return _ts(dt.datetime.combine(first, dt.time.min)), _ts(dt.datetime.combine(after, dt.time.min))


def channels_sql(conn, f: Filters, latest: dt.date) -> dict:
    """Per channel and month: leads, H/A leads, visits, deals, revenue and gross profit of the deals, and the
    reported spend (allocated to the filtered regions by their share of the store-month's leads)."""
    lo, hi = _months(f)
    scope = _in("l.store_id", f.store_ids) + _in("l.channel_id", f.channel_ids)
    region = _in("c.region_id", f.region_ids)
    month = "substr({}, 1, 7)"
    per = {}
    for name, col, extra in (
        ("leads", "l.created_at", ""),
        ("ha_leads", "l.created_at", " AND l.grade IN ('H', 'A', 'O', 'D', 'M')"),
        ("visits", "l.visit_at", ""),
        ("deals", "l.order_at", ""),
    ):
        rows = _rows(
            conn,
            f"SELECT l.channel_id, {month.format(col)}, COUNT(*) FROM leads l LEFT JOIN customers c ON "
            f"c.id = l.customer_id WHERE {col} >= :lo AND {col} < :hi{scope}{region}{extra} GROUP BY 1, 2",
            {"lo": lo, "hi": hi},
        )
        per[name] = {(int(ch), m): int(n) for ch, m, n in rows}
    money = _rows(
        conn,
        f"SELECT l.channel_id, {month.format('l.order_at')}, SUM(p.amount), SUM(p.gross_profit) FROM leads l "
        "JOIN purchases p ON p.lead_id = l.id AND p.kind = 'new_car' LEFT JOIN customers c ON c.id = l.customer_id "
        f"WHERE l.order_at >= :lo AND l.order_at < :hi{scope}{region} GROUP BY 1, 2",
        {"lo": lo, "hi": hi},
    )
    per["revenue"] = {(int(ch), m): round(float(r), 2) for ch, m, r, _ in money}
    per["gross_profit"] = {(int(ch), m): round(float(g), 2) for ch, m, _, g in money}
    share = "1.0"
    if f.region_ids:
        share = "COALESCE(n.region_leads * 1.0 / n.all_leads, 0)"
    spend = _rows(
        conn,
        "WITH n AS (SELECT l.channel_id, l.store_id, substr(l.created_at, 1, 7) AS m, COUNT(*) AS all_leads, "
        f"SUM(1=1{region}) AS region_leads FROM leads l LEFT JOIN customers c ON "
        f"c.id = l.customer_id WHERE l.created_at >= :lo AND l.created_at < :hi{scope} GROUP BY 1, 2, 3) "
        f"SELECT s.channel_id, substr(s.month, 1, 7), SUM(s.amount * {share}) FROM channel_spend s "
        "JOIN channels ch ON ch.id = s.channel_id AND ch.cost_model != 'none' "
        "LEFT JOIN n ON n.channel_id = s.channel_id AND n.store_id = s.store_id AND n.m = substr(s.month, 1, 7) "
        "WHERE s.month >= :lo_day AND s.month < :hi_day"
        + _in("s.store_id", f.store_ids)
        + _in("s.channel_id", f.channel_ids)
        + " GROUP BY 1, 2",
        {"lo": lo, "hi": hi, "lo_day": lo[:10], "hi_day": hi[:10]},
    )
    per["spend_reported"] = {(int(ch), m): round(float(a), 2) for ch, m, a in spend}
    return _roi_rows(per)


MONEY = ("revenue", "gross_profit", "spend_reported")


class Money(float):
    """An amount in yuan, rounded to the fen by each side: equal within one fen (the same sum added up in
    another order can round the other way)."""


def _roi_rows(per: dict[str, dict]) -> dict:
    keys = sorted(set().union(*(set(v) for v in per.values())))
    names = ("leads", "ha_leads", "visits", "deals", "revenue", "gross_profit", "spend_reported")
    rows = []
    for k in keys:
        values = tuple(Money(per[n].get(k, 0.0)) if n in MONEY else per[n].get(k, 0) for n in names)
        if any(values):
            rows.append((*k, *values))
    return {"channel_months": tuple(rows)}


def channels_facts(facts, tiers, scheme, f: Filters, latest: dt.date, reference=None) -> dict:
    from core.analytics import channel_roi as cr
    from core.analytics import facts_analysis as fa

    months = cr.channel_months_from_frames(fa.roi_frames(facts, f, reference), f)
    per: dict[str, dict] = {}
    for n in ("leads", "ha_leads", "visits", "deals", "revenue", "gross_profit", "spend_reported"):
        per[n] = {
            (int(ch), f"{m:%Y-%m}"): (
                float(v) if n in ("revenue", "gross_profit", "spend_reported") else int(v)
            )
            for ch, m, v in zip(months["channel_id"], months["month"], months[n], strict=True)
        }
    return _roi_rows(per)


# the baseline and the check of each page in dashboard/app.py's FILTERED_PAGES (by url path); a page that is
# not here yet is still timed through AppTest, and the bench says it has no baseline
PAGE_SQL = {
    "overview": overview_sql,
    "funnel": funnel_sql,
    "defeats": defeats_sql,
    "tiers": tiers_sql,
    "regions": regions_sql,
    "channels": channels_sql,
}
PAGE_FACTS = {
    "overview": overview_facts,
    "funnel": funnel_facts,
    "defeats": defeats_facts,
    "tiers": tiers_facts,
    "regions": regions_facts,
    "channels": channels_facts,
}
