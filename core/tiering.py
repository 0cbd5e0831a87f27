"""The demo's first published schemes: 高价值/普通/流失风险 for owners, H/A/B/C for open leads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Engine

from core.feature_inputs import FeatureInputs
from core.features import compute_features
from core.publishing import assignments_frame, save_draft, write_assignments
from core.scheme import Scorer, preset

INITIAL_SCHEMES = (
    ("owners", "value_3", "价值分层（金额40%/次数30%/复购30%）"),
    ("leads", "leads_habc", "线索意向分级 H/A/B/C（按预计购车时间）"),
)


def publish_initial_schemes(engine: Engine, *, frames: dict[str, pd.DataFrame], as_of: dt.date) -> int:
    """Publish the preset schemes as version 1 of each population and tier everyone. Returns rows written."""
    inputs = FeatureInputs.from_frames(frames)
    when = dt.datetime.combine(as_of, dt.time(6, 0))
    written = 0
    for population, preset_name, name in INITIAL_SCHEMES:
        spec = preset(preset_name)
        features = compute_features(inputs, population=population, as_of=as_of)
        scored = Scorer(spec).fit(features).score()
        version = save_draft(engine, spec, name=name, actor="demo", now=when)
        written += write_assignments(
            engine, version.id, assignments_frame(scored, spec), actor="demo", at=when
        )
    return written
