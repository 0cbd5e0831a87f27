"""Tier history for tests on generated data: the demo writes its own owners history (core.demo.tier_history); this helper
publishes one more owners version on top of it (or a dealer's first, on a demo made ``with_tiers=False``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from core.scoring.feature_inputs import load_feature_inputs
from core.scoring.features import compute_features
from core.scoring.publishing import assignments_frame, save_draft, write_assignments
from core.scoring.scheme import Scorer, preset


def publish_second_version(engine: Engine, *, at: dt.datetime, preset_name: str = "base_3") -> int:
    """Publish another owners scheme (a different preset) at ``at``, scored on the data as of that day."""
    spec = preset(preset_name)
    with engine.connect() as conn:
        inputs = load_feature_inputs(conn=conn)
    features = compute_features(inputs, population="owners", as_of=at.date())
    scored = Scorer(spec).fit(features).score()
    version = save_draft(engine, spec, name=f"测试方案 {preset_name}", actor="test", now=at)
    return write_assignments(engine, version.id, assignments_frame(scored, spec), actor="test", at=at)
