"""The overview page's figures for a period and the previous one, read by SQL: leads, conversion, defeats,
overdue follow-ups and tier counts. The app reads the same figures from the facts
(:mod:`core.analytics.facts_figures`); tests check one against the other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from core.analytics.followup import overdue_follow_ups
from core.analytics.overview import Filters, lead_figures, tier_counts


def overview(*, conn: Connection, filters: Filters, latest_day: dt.date | None = None) -> dict:
    """All overview figures for the period and the previous one.

    ``latest_day`` is the last day of data (kept for callers; every period follows the same overdue rule).
    """
    prev = filters.previous()
    return {
        "current": {
            **lead_figures(conn=conn, filters=filters),
            "overdue": overdue_follow_ups(conn=conn, filters=filters),
        },
        "previous": {
            **lead_figures(conn=conn, filters=prev),
            "overdue": overdue_follow_ups(conn=conn, filters=prev),
        },
        "tiers": tier_counts(conn=conn, filters=filters),
        "tiers_previous": tier_counts(conn=conn, filters=prev),
    }
