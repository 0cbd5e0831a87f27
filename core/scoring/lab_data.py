"""The scoring lab's data: read the event tables once (in a worker process for large databases), compute the
features now, at the backtest date and at the training date, and join the published tiers and active
overrides. The pure preview functions that run on it are in :mod:`core.scoring.lab`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core.scoring.lab import BACKTEST_HORIZON_DAYS, NO_HISTORY, LabData, Published

WORKER_MIN_CUSTOMERS = 200_000


def _lab_features(url: str | None, engine: Any, population: str, as_of: Any | None) -> dict[str, Any]:
    """The heavy part of the lab's data: read the event tables, compute features now, at the backtest date and
    at the training date, with outcomes. Returns only the (small) results."""
    import datetime as dt

    import sqlalchemy as sa

    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features, outcomes
    from core.storage.db import make_engine
    from core.storage.models import Customer

    engine = engine if engine is not None else make_engine(url)  # type: ignore[arg-type]
    with engine.connect() as conn:
        inputs = load_feature_inputs(conn=conn)
        if as_of is None:
            last = conn.execute(sa.select(sa.func.max(Customer.created_at))).scalar()
            as_of = pd.Timestamp(last).date() if last is not None else dt.date.today()
    feats = compute_features(inputs, population=population, as_of=as_of)
    horizon = BACKTEST_HORIZON_DAYS[population]
    bt_as_of = as_of - dt.timedelta(days=horizon)
    cust = inputs.customers.set_index("id").reindex(feats.index)[["advisor_id", "store_id", "region_id"]]
    past: dict[Any, tuple[pd.DataFrame, pd.Series]] = {}
    for when in (bt_as_of, bt_as_of - dt.timedelta(days=horizon)):
        f = compute_features(inputs, population=population, as_of=when)
        for col in NO_HISTORY[population]:
            if col in f.columns:
                f[col] = False if col.startswith("flag_") else 0.0
        past[when] = (
            f,
            outcomes(inputs, population=population, as_of=when, horizon_days=horizon)
            .reindex(f.index)
            .fillna(0),
        )
    del inputs
    return {"as_of": as_of, "horizon": horizon, "features": feats, "customers": cust, "past": past}


def _in_worker(url: str, population: str, as_of: Any | None) -> dict[str, Any]:
    """Run ``_lab_features`` in a fresh Python process: the event tables (~0.9 GB at 1M customers) are read
    there and the memory goes back to the system when it exits; the app process receives only the features.

    A plain subprocess (``python -m core.scoring.lab_worker``), not multiprocessing: under Streamlit,
    ``sys.modules["__main__"]`` is the page script, which multiprocessing's spawn would run again in the child.
    """
    import os
    import pickle
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="lab-worker-") as tmp:
        out = Path(tmp) / "features.pickle"
        args = [
            sys.executable,
            "-m",
            "core.scoring.lab_worker",
            population,
            as_of.isoformat() if as_of else "",
            str(out),
        ]
        # the URL may hold a password: pass it in the environment, not on the command line that `ps` shows
        env = {**os.environ, "CORE_LAB_WORKER_URL": url}
        proc = subprocess.run(args, capture_output=True, text=True, timeout=3600, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"the lab's worker process failed: {proc.stderr.strip()[-2000:]}")
        with out.open("rb") as fh:
            return pickle.load(fh)


def load_lab_data(
    engine: Any, *, population: str, as_of: Any | None = None, worker: bool | None = None
) -> LabData:
    """Read the event tables once and prepare a population for the lab (features now, at the backtest date and
    at the training date; published tiers, advisors, overrides).

    ``worker`` (default: for databases of ``WORKER_MIN_CUSTOMERS`` customers or more, except in-memory SQLite)
    reads the events in a separate process, so the app's own memory holds only the results.
    """
    import datetime as dt

    import sqlalchemy as sa

    from core.storage.models import Customer

    url = engine.url.render_as_string(hide_password=False)
    if worker is None:
        in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        with engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one()
        worker = not in_memory and n >= WORKER_MIN_CUSTOMERS
    got = _in_worker(url, population, as_of) if worker else _lab_features(None, engine, population, as_of)
    as_of, horizon, feats, cust, past = (
        got["as_of"],
        got["horizon"],
        got["features"],
        got["customers"],
        got["past"],
    )
    bt_as_of = as_of - dt.timedelta(days=horizon)
    bt_feats, bt_out = past[bt_as_of]
    tr_as_of = bt_as_of - dt.timedelta(days=horizon)
    tr_feats, tr_out = past[tr_as_of]
    ids = feats.index.to_numpy()
    with engine.connect() as conn:
        pub_tiers, pub, overrides = published_state(
            conn=conn, population=population, customer_id=ids, as_of=as_of
        )
    return LabData(
        population=population,
        as_of=as_of,
        features=feats,
        published=pub_tiers,
        published_version=pub,
        advisor_id=cust["advisor_id"].fillna(-1).to_numpy(dtype=np.int64),
        store_id=cust["store_id"].fillna(-1).to_numpy(dtype=np.int64),
        region_id=cust["region_id"].fillna(-1).to_numpy(dtype=np.int64),
        backtest_features=bt_feats,
        backtest_outcome=bt_out.to_numpy(dtype=np.int8),
        backtest_as_of=bt_as_of,
        overrides=overrides,
        train_features=tr_feats,
        train_outcome=tr_out.to_numpy(dtype=np.int8),
        train_as_of=tr_as_of,
    )


def published_state(
    *, conn: Any, population: str, customer_id: np.ndarray, as_of: Any
) -> tuple[Published, Any, np.ndarray]:
    """The published tiers aligned with ``customer_id``, the published version, and who has an active
    override: the cheap part of the lab's data, reloaded on its own after a publish or an override."""
    import datetime as dt

    import sqlalchemy as sa

    from core.scoring.publishing import current_assignments, published
    from core.storage.models import TierOverride

    pub = published(conn=conn, population=population)
    assigned = current_assignments(conn=conn, population=population)
    ov = pd.read_sql(
        sa.select(TierOverride.customer_id).where(
            TierOverride.population == population,
            TierOverride.cleared_at.is_(None),
            sa.or_(
                TierOverride.expires_at.is_(None),
                TierOverride.expires_at > dt.datetime.combine(as_of, dt.time.max),
            ),
        ),
        conn,
    )
    tiers = (
        Published.align(customer_id, assigned, pub.params if pub else None)
        if len(assigned)
        else Published.none(len(customer_id))
    )
    return tiers, pub, np.isin(customer_id, ov["customer_id"].to_numpy())


def with_published(data: LabData, published_tiers: Published, version: Any, overrides: np.ndarray) -> LabData:
    """A copy of ``data`` with another published state, sharing its fitted scorers (no refit)."""
    new = replace(data, published=published_tiers, published_version=version, overrides=overrides)
    new._scorers = data._scorers
    return new
