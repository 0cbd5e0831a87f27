"""Tier history for tests on generated data: the demo tiers everyone once, at its as-of date; these helpers add
what a year of use leaves behind — earlier nightly scorings and a second published scheme version."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.bulk import insert_frame
from core.db import write_transaction
from core.feature_inputs import load_feature_inputs
from core.features import compute_features
from core.models import TierAssignment
from core.publishing import assignments_frame, published, save_draft, write_assignments
from core.scheme import Scorer, preset

SCORING_TIME = dt.time(6, 0)


def backfill_owner_history(engine: Engine, days: list[dt.date]) -> int:
    """Score the owners with the published scheme as of each earlier day (features as of that day) and insert
    those assignments as history before the current ones, each in force until the next. Returns rows written."""
    with engine.connect() as conn:
        scheme = published(conn=conn, population="owners")
        inputs = load_feature_inputs(conn=conn)
        first_now = conn.execute(
            sa.select(sa.func.min(TierAssignment.effective_from)).where(TierAssignment.scheme_id == scheme.id)
        ).scalar_one()
    first_now = pd.Timestamp(first_now).to_pydatetime()
    times = [dt.datetime.combine(d, SCORING_TIME) for d in sorted(days)]
    frames = []
    for i, at in enumerate(times):
        features = compute_features(inputs, population="owners", as_of=at.date())
        scored = Scorer(scheme.params).fit(features).score()
        until = times[i + 1] if i + 1 < len(times) else first_now
        frames.append(
            assignments_frame(scored, scheme.params).assign(
                scheme_id=scheme.id, effective_from=at, effective_to=until
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    cols = ["customer_id", "scheme_id", "tier", "score", "rule", "effective_from", "effective_to"]
    with write_transaction(engine) as conn:
        return insert_frame(conn, "tier_assignments", frame[cols])


def publish_second_version(engine: Engine, *, at: dt.datetime, preset_name: str = "base_3") -> int:
    """Publish another owners scheme (a different preset) at ``at``, scored on the data as of that day."""
    spec = preset(preset_name)
    with engine.connect() as conn:
        inputs = load_feature_inputs(conn=conn)
    features = compute_features(inputs, population="owners", as_of=at.date())
    scored = Scorer(spec).fit(features).score()
    version = save_draft(engine, spec, name=f"测试方案 {preset_name}", actor="test", now=at)
    return write_assignments(engine, version.id, assignments_frame(scored, spec), actor="test", at=at)
