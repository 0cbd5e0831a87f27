"""The demo's tier history, written the way the app writes it: publishes and nightly rescores.

Owners: version 1 of 高价值/普通/流失风险 with a broad top tier (top 40% / middle 30% / bottom 30%) is published
18 months before the as-of date and rescored every six months; version 2 (the same dimensions and weights, top
20% / middle 60% / bottom 20%) is published a week before the as-of date and rescored on it, so the weekly
review's first meeting has a week's changes to discuss. Each scoring uses the features as of its own day.
Leads: H/A/B/C once, on the as-of date. Every step goes through ``core.scoring.publishing`` (``publish``, which saves
the draft and writes its tiers in one transaction; ``rescore`` for the nightly job), so the history has the app's own scheme
statuses, audit entries and ``effective_from``/``effective_to`` chain.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

import pandas as pd
from sqlalchemy.engine import Engine

from core.scoring.feature_inputs import FeatureInputs
from core.scoring.features import compute_features
from core.scoring.publishing import assignments_frame, publish, rescore
from core.scoring.scheme import Scorer, preset

SCORING_TIME = dt.time(6, 0)  # the nightly job's hour; a publish in the demo happens then too
SCHEME_NAMES = {
    "value_3_40_30_30": "价值分层（高价值前40%/普通30%/流失风险30%）",
    "value_3": "价值分层（高价值前20%/普通60%/流失风险20%）",
    "leads_habc": "线索意向分级 H/A/B/C（按预计购车时间）",
}


class Step(NamedTuple):
    """One scoring of the history: on the day ``months`` calendar months and then ``days`` days before as_of."""

    months: int
    days: int
    publish: str | None  # the preset published then; None: the nightly rescore of the published version


OWNER_HISTORY = (
    Step(18, 0, "value_3_40_30_30"),
    Step(12, 0, None),
    Step(6, 0, None),
    Step(0, 7, "value_3"),
    Step(0, 0, None),
)
LEAD_HISTORY = (Step(0, 0, "leads_habc"),)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, or that month's last day when it is shorter.

    Examples
    --------
    >>> months_before(dt.date(2026, 6, 30), 18), months_before(dt.date(2026, 8, 31), 6)
    (datetime.date(2024, 12, 30), datetime.date(2026, 2, 28))
    """
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def scoring_times(as_of: dt.date, history: tuple[Step, ...] = OWNER_HISTORY) -> list[dt.datetime]:
    """When each step of ``history`` is written (06:00 of its day), oldest first.

    Examples
    --------
    >>> [t.isoformat(" ") for t in scoring_times(dt.date(2026, 6, 30))]  # doctest: +NORMALIZE_WHITESPACE
    ['2024-12-30 06:00:00', '2025-06-30 06:00:00', '2025-12-30 06:00:00', '2026-06-23 06:00:00',
     '2026-06-30 06:00:00']
    """
    return [
        dt.datetime.combine(months_before(as_of, s.months) - dt.timedelta(days=s.days), SCORING_TIME)
        for s in history
    ]


def _publish(engine: Engine, inputs: FeatureInputs, preset_name: str, at: dt.datetime) -> int:
    spec = preset(preset_name)
    features = compute_features(inputs, population=spec["population"], as_of=at.date())
    scored = Scorer(spec).fit(features).score()
    _, written = publish(
        engine, spec, assignments_frame(scored, spec), name=SCHEME_NAMES[preset_name], actor="demo", now=at
    )
    return written


def publish_tier_history(
    engine: Engine,
    *,
    frames: dict[str, pd.DataFrame],
    as_of: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the owners' history (``OWNER_HISTORY``) and the leads' tiers (``LEAD_HISTORY``), oldest step
    first within each population. ``progress(done, steps)`` is called after each step. Returns rows written."""
    inputs = FeatureInputs.from_frames(frames)
    steps = [
        (population, step.publish, at)
        for population, history in (("owners", OWNER_HISTORY), ("leads", LEAD_HISTORY))
        for step, at in zip(history, scoring_times(as_of, history), strict=True)
    ]
    written = 0
    for done, (population, preset_name, at) in enumerate(steps, start=1):
        if preset_name is None:
            written += rescore(engine, population=population, as_of=at.date(), inputs=inputs, at=at)[1]
        else:
            written += _publish(engine, inputs, preset_name, at)
        if progress:
            progress(done, len(steps))
    return written
