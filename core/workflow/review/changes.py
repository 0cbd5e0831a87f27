"""What changed between a meeting's baseline and its cut-off, and why: the tiers in force at a moment, the
customers whose tier changed, and the dimensions whose points moved (definitions in ``core.workflow.review``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import Customer, ScoringScheme, TierAssignment


def population_schemes(population: str) -> sa.Select:
    """The ids of the population's schemes, as a subquery."""
    return sa.select(ScoringScheme.id).where(ScoringScheme.population == population)


def tiers_at(*, conn: Connection, population: str, at: dt.datetime) -> pd.DataFrame:
    """customer_id, tier, score, rule, scheme_id, effective_from of the population's assignments in force
    at ``at``."""
    q = sa.select(
        TierAssignment.customer_id,
        TierAssignment.tier,
        TierAssignment.score,
        TierAssignment.rule,
        TierAssignment.scheme_id,
        TierAssignment.effective_from,
    ).where(
        TierAssignment.scheme_id.in_(population_schemes(population)),
        TierAssignment.effective_from <= at,
        sa.or_(TierAssignment.effective_to.is_(None), TierAssignment.effective_to > at),
    )
    return pd.read_sql(q, conn)


def tier_changes(
    *, conn: Connection, population: str, baseline: dt.datetime | None, cutoff: dt.datetime
) -> pd.DataFrame:
    """Customers whose tier in force at ``cutoff`` differs from the one at ``baseline`` (see the module doc).

    Columns customer_id, old_tier, new_tier, old_score, new_score, rule, old_scheme_id, new_scheme_id,
    old_from, new_from (when the old and the new assignment took effect; old_from is NaT without an old tier).
    """
    new = tiers_at(conn=conn, population=population, at=cutoff)
    old = tiers_at(conn=conn, population=population, at=baseline) if baseline is not None else new.iloc[:0]
    cols = ["customer_id", "old_tier", "new_tier", "old_score", "new_score", "rule"]
    if old.empty:
        extra = ["old_scheme_id", "new_scheme_id", "old_from", "new_from"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols + extra})
    both = new.merge(old, on="customer_id", how="left", suffixes=("_new", "_old"))
    changed = both[both["tier_new"] != both["tier_old"]]  # NaN (no old tier) != tier is True
    out = pd.DataFrame(
        {
            "customer_id": changed["customer_id"].astype("int64"),
            "old_tier": changed["tier_old"].astype(object).where(changed["tier_old"].notna(), None),
            "new_tier": changed["tier_new"],
            "old_score": changed["score_old"],
            "new_score": changed["score_new"],
            "rule": changed["rule_new"].astype(object).where(changed["rule_new"].notna(), None),
            "old_scheme_id": changed["scheme_id_old"].astype("Int64"),
            "new_scheme_id": changed["scheme_id_new"].astype("int64"),
            "old_from": pd.to_datetime(changed["effective_from_old"]),
            "new_from": pd.to_datetime(changed["effective_from_new"]),
        }
    )
    return out.sort_values("customer_id", ignore_index=True)


def contribution_changes(
    old: pd.DataFrame | None, new: pd.DataFrame, customer_ids: np.ndarray, *, top: int | None = None
) -> list[list[list[Any]]]:
    """Per customer, the dimensions whose points moved from ``old`` to ``new`` (frames of points per
    dimension, index customer_id; a missing customer or dimension counts 0), largest move first, as
    [[dimension, change], ...]: every dimension that moved by 0.05 points or more (or the ``top`` largest).

    Examples
    --------
    >>> new = pd.DataFrame({"a": [30.0, 10.0], "b": [5.0, 5.0]}, index=[1, 2])
    >>> old = pd.DataFrame({"a": [10.0], "b": [9.0]}, index=[1])
    >>> contribution_changes(old, new, np.array([1, 2]))
    [[['a', 20.0], ['b', -4.0]], [['a', 10.0], ['b', 5.0]]]
    """
    dims = list(dict.fromkeys([*(old.columns if old is not None else []), *new.columns]))
    n = new.reindex(index=customer_ids, columns=dims).fillna(0.0)
    o = old.reindex(index=customer_ids, columns=dims).fillna(0.0) if old is not None else n * 0.0
    delta = (n - o).to_numpy(dtype=np.float64)
    out = []
    for row in delta:
        order = np.argsort(-np.abs(row), kind="stable")[:top]
        out.append([[dims[j], round(float(row[j]), 1)] for j in order if abs(row[j]) >= 0.05])
    return out


SCORE_MATCH = 0.01  # points that add up to a stored score (rounded to 4 places) within this reproduce it


def _data_day(last: Any, at: Any) -> dt.date:
    """The day whose data a tier written at ``at`` was computed on: ``at``'s day, but never after the data's
    last day ``last`` (a demo or an import whose events end before the day the tiers were written)."""
    day = pd.Timestamp(at).date()
    return min(day, pd.Timestamp(last).date()) if last is not None and pd.notna(last) else day


def explain_changes(
    conn: Connection, changes: pd.DataFrame, population: str, baseline=None, cutoff=None
) -> list:
    """Reasons for every change (see ``contribution_changes``): the points of the old assignment, with its
    scheme on the data as of the day it took effect (``old_from``), against the points of the new one
    (``new_from``). "The day" is the data's last day when the assignment took effect later (a lab publish
    scores the data's last day) unless the points on the effective day itself are the ones that add up to the
    stored score (the nightly rescore scores its own day). Reads the event tables once and computes the
    features once per day involved.

    ``baseline`` and ``cutoff`` are not used (the assignments' own times are); kept for callers.
    """
    if changes.empty:
        return []
    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features
    from core.scoring.scheme import Scorer

    specs = dict(conn.execute(sa.select(ScoringScheme.id, ScoringScheme.params)).all())
    last = conn.execute(sa.select(sa.func.max(Customer.created_at))).scalar()
    inputs = load_feature_inputs(conn=conn)
    features: dict[dt.date, pd.DataFrame] = {}
    scorers: dict[tuple[int, dt.date], Scorer] = {}

    def scorer_on(scheme_id: int, day: dt.date) -> Scorer:
        if day not in features:
            features[day] = compute_features(inputs, population=population, as_of=day)
        if (scheme_id, day) not in scorers:
            scorers[(scheme_id, day)] = Scorer(specs[scheme_id]).fit(features[day])
        return scorers[(scheme_id, day)]

    def points(scheme_id: int, at: Any, ids: np.ndarray, stored: np.ndarray) -> pd.DataFrame:
        # which day's data: the nightly job scores its own day, a lab publish the data's last day (earlier
        # when no customer came in since); take the first candidate whose points add up to the stored scores
        best: tuple[float, pd.DataFrame] | None = None
        for day in dict.fromkeys([_data_day(last, at), pd.Timestamp(at).date()]):
            scorer = scorer_on(scheme_id, day)
            pos = pd.Index(scorer.customer_id_).get_indexer(ids)
            got = scorer.contributions(pos[pos >= 0])
            total = got.sum(axis=1).reindex(ids).to_numpy(dtype=np.float64)
            error = float(np.nanmax(np.abs(total - stored), initial=0.0)) if len(ids) else 0.0
            if best is None or error < best[0]:
                best = (error, got)
            if error <= SCORE_MATCH:
                break
        return best[1]  # type: ignore[index]

    reasons: dict[int, list] = {}
    keyed = changes.assign(
        old_scheme_id=changes["old_scheme_id"].fillna(-1).astype("int64"),
        old_from=changes["old_from"].fillna(pd.Timestamp(0)),  # no old tier: one group, not computed
    )
    for (old_id, old_from, new_id, new_from), part in keyed.groupby(
        ["old_scheme_id", "old_from", "new_scheme_id", "new_from"], sort=True
    ):
        ids = part["customer_id"].to_numpy()
        new = points(int(new_id), new_from, ids, part["new_score"].to_numpy(dtype=np.float64))
        old = (
            points(int(old_id), old_from, ids, part["old_score"].to_numpy(dtype=np.float64))
            if old_id != -1
            else None
        )
        for cid, r in zip(ids.tolist(), contribution_changes(old, new, ids), strict=True):
            reasons[cid] = r
    return [reasons[c] for c in changes["customer_id"].tolist()]
