"""Which calendar months a figure covers in full: the one rule for partial months (部分月份) on every page.

A month is *partial* when the days it covers are fewer than its calendar days: the window a figure counts
over (the period, or the whole months of the channel ROI) starts or ends inside it, or the data does (its
first or last day, as the sidebar's "数据截至" shows it, falls inside the month), or both. A month the data does
not reach at all covers 0 days and is partial too.

Rule for figures over a partial month (channel ROI, defeat trend): counts and money are what happened on the
days covered, as they stand; ratios over them (cost per lead, cost per deal, ROI, conversion, H/A share) are
computed the same way but flagged, and are not compared with whole months: tables and downloads carry the
days covered, charts draw a partial month's point apart (open, lighter, not joined to the whole months' line)
and label it. Nothing is scaled up or spread out: a spend row may be a whole month's fee or the month to date,
and only the store knows which.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

COVERAGE_COLUMNS = ["month", "days_in_month", "first_day", "last_day", "days_covered", "partial"]


def month_coverage(
    start: dt.date, end: dt.date, *, data_first: dt.date | None = None, data_last: dt.date | None = None
) -> pd.DataFrame:
    """The calendar months from ``start`` to ``end`` (both inclusive) and the days of each that are covered.

    Parameters
    ----------
    start, end : datetime.date
        The window a figure counts over, both days inclusive.
    data_first, data_last : datetime.date, optional
        The data's first and last day; None: the data does not limit the window on that side.

    Returns
    -------
    pandas.DataFrame
        One row per month touched by the window, oldest first: ``month`` (its first day), ``days_in_month``,
        ``first_day`` and ``last_day`` covered (None when no day is), ``days_covered`` and ``partial``
        (``days_covered < days_in_month``).

    Examples
    --------
    >>> c = month_coverage(dt.date(2017, 11, 1), dt.date(2017, 12, 31), data_last=dt.date(2017, 12, 5))
    >>> c[["days_covered", "partial"]].values.tolist()
    [[30, False], [5, True]]
    >>> month_coverage(dt.date(2016, 10, 1), dt.date(2016, 10, 31), data_first=dt.date(2016, 10, 20))[
    ...     ["first_day", "days_covered"]].values.tolist()
    [[datetime.date(2016, 10, 20), 12]]
    """
    lo = max(start, data_first) if data_first else start
    hi = min(end, data_last) if data_last else end
    rows = []
    month = start.replace(day=1)
    while month <= end:
        days = calendar.monthrange(month.year, month.month)[1]
        first, last = max(month, lo), min(month.replace(day=days), hi)
        covered = (last - first).days + 1 if first <= last else 0
        rows.append(
            (month, days, first if covered else None, last if covered else None, covered, covered < days)
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    out = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    return out.astype({"days_in_month": "int64", "days_covered": "int64", "partial": bool})


def mark_months(frame: pd.DataFrame, coverage: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    """``frame`` with each row's month coverage: ``days_covered``, ``days_in_month`` and ``partial`` added.

    ``frame[column]`` holds months as dates (any day of the month) or ``"YYYY-MM"`` text; a month the coverage
    does not list gets 0 days covered and is partial.

    Examples
    --------
    >>> cov = month_coverage(dt.date(2017, 11, 20), dt.date(2017, 12, 31), data_last=dt.date(2017, 12, 5))
    >>> mark_months(pd.DataFrame({"month": ["2017-11", "2017-12"], "count": [3, 1]}), cov).values.tolist()
    [['2017-11', 3, 11, 30, True], ['2017-12', 1, 5, 31, True]]
    """
    key = coverage["month"].map(lambda m: f"{m:%Y-%m}")
    days = dict(zip(key, coverage["days_covered"], strict=True))
    in_month = dict(zip(key, coverage["days_in_month"], strict=True))
    months = frame[column].map(lambda m: str(m)[:7])
    out = frame.copy()
    out["days_covered"] = months.map(lambda m: days.get(m, 0)).astype("int64")
    out["days_in_month"] = months.map(
        lambda m: in_month.get(m, calendar.monthrange(int(m[:4]), int(m[5:7]))[1])
    ).astype("int64")
    out["partial"] = (out["days_covered"] < out["days_in_month"]).astype(bool)
    return out
