"""Schemes and tier assignments in the database: publish a scheme's tiers in one transaction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.bulk import write_frames
from core.features import owner_features
from core.models import AuditLog, ScoringScheme
from core.scoring import PRESETS, TierScheme


def publish_initial_scheme(engine: Engine, *, frames: dict[str, pd.DataFrame], as_of: dt.date) -> int:
    """Publish the preset 高价值/普通/流失风险 scheme (40/30/30) and tier every owner. Returns rows written."""
    preset = PRESETS["value_3"]
    customers = frames["customers"]
    owners = customers.loc[customers["is_owner"].astype(bool), "id"].to_numpy()
    feats = owner_features(frames["purchases"], owners, as_of=as_of)
    scheme = TierScheme(preset["weights"], preset["cutoffs"], preset["labels"]).fit(feats)
    tiers = scheme.predict(feats)
    when = dt.datetime.combine(as_of, dt.time(6, 0))
    with engine.begin() as conn:
        scheme_id = conn.execute(
            sa.insert(ScoringScheme).returning(ScoringScheme.id),
            {
                "population": "owners",
                "version": 1,
                "name": "价值分层（金额40%/次数30%/复购30%）",
                "status": "published",
                "params": {"preset": "value_3", **preset},
                "created_by": "demo",
                "created_at": when,
                "published_by": "demo",
                "published_at": when,
            },
        ).scalar_one()
        conn.execute(
            sa.insert(AuditLog),
            {
                "at": when,
                "actor": "demo",
                "action": "scheme.publish",
                "object_type": "scoring_scheme",
                "object_id": str(scheme_id),
                "detail": {"customers": int(len(tiers))},
            },
        )
    assignments = pd.DataFrame(
        {
            "customer_id": feats.index.to_numpy(),
            "scheme_id": scheme_id,
            "tier": tiers.to_numpy(),
            "score": np.round(scheme.scores_.to_numpy(), 4),
            "rule": None,
            "effective_from": np.datetime64(when, "s"),
            "effective_to": np.datetime64("NaT"),
        }
    )
    return write_frames(engine, [("tier_assignments", assignments)])["tier_assignments"]
