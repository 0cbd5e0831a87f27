"""Scheme versions in the database: save drafts, publish, roll back, compare, rescore.

Publishing writes every new assignment with the scheme version and effective time in one transaction:
the old assignments are closed (``effective_to``) and the new ones inserted together, so after an error
or a crash the database holds the old assignments or the new ones, never a mix. A new version is saved and
published in that same transaction (``publish``), so a publish that dies leaves no stray draft either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import audit
from core.scoring.scheme import Problem, SchemeError, Scored, check
from core.scoring.tier_shares import shares_table
from core.storage.bulk import insert_frame
from core.storage.db import retrying, write_transaction
from core.storage.models import ScoringScheme, TierAssignment

if TYPE_CHECKING:
    from core.scoring.feature_inputs import FeatureInputs


@dataclass(frozen=True)
class SchemeVersion:
    id: int
    population: str
    version: int
    name: str
    status: str
    params: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None


def _row(r: Any) -> SchemeVersion:
    return SchemeVersion(
        r.id, r.population, r.version, r.name, r.status, r.params, r.created_by, r.created_at, r.published_at
    )


_COLS = (
    ScoringScheme.id,
    ScoringScheme.population,
    ScoringScheme.version,
    ScoringScheme.name,
    ScoringScheme.status,
    ScoringScheme.params,
    ScoringScheme.created_by,
    ScoringScheme.created_at,
    ScoringScheme.published_at,
)


def versions(*, conn: Connection, population: str) -> list[SchemeVersion]:
    """Every version of a population's scheme, newest first."""
    q = sa.select(*_COLS).where(ScoringScheme.population == population).order_by(ScoringScheme.version.desc())
    return [_row(r) for r in conn.execute(q)]


def get_version(*, conn: Connection, scheme_id: int) -> SchemeVersion:
    r = conn.execute(sa.select(*_COLS).where(ScoringScheme.id == scheme_id)).first()
    if r is None:
        raise LookupError(f"no scoring scheme with id {scheme_id}")
    return _row(r)


def published(*, conn: Connection, population: str) -> SchemeVersion | None:
    r = conn.execute(
        sa.select(*_COLS).where(ScoringScheme.population == population, ScoringScheme.status == "published")
    ).first()
    return None if r is None else _row(r)


def _audit(
    conn: Connection, actor: str, action: str, scheme_id: int, detail: dict[str, Any], at: dt.datetime
) -> None:
    audit.record(
        conn,
        actor=actor,
        action=action,
        object_type="scoring_scheme",
        object_id=scheme_id,
        detail=detail,
        at=at,
    )


def _check_draft(spec: dict[str, Any], name: str, available: set[str] | None) -> None:
    problems: list[Problem] = []
    if not name or not name.strip():
        problems.append(Problem("name", "name_empty"))
    try:
        check(spec, available)
    except SchemeError as exc:
        problems = exc.problems + problems
    if problems:
        raise SchemeError(problems)


def _lock_population(conn: Connection, population: str) -> None:
    """Take the row locks of the population's versions (in id order): publishes, rollbacks, rescores and new
    drafts of one population run one after the other, each seeing the one before (the unique index on
    ``published_population`` is the backstop). SQLite's writers are serialized by BEGIN IMMEDIATE already."""
    conn.execute(_population_schemes(population).order_by(ScoringScheme.id).with_for_update()).all()


def _save_draft_in(conn: Connection, spec: dict[str, Any], *, name: str, actor: str, now: dt.datetime) -> int:
    _lock_population(conn, spec["population"])
    latest = conn.execute(
        sa.select(sa.func.max(ScoringScheme.version)).where(ScoringScheme.population == spec["population"])
    ).scalar()
    new_id = conn.execute(
        sa.insert(ScoringScheme).returning(ScoringScheme.id),
        {
            "population": spec["population"],
            "version": int(latest or 0) + 1,
            "name": name.strip(),
            "status": "draft",
            "params": spec,
            "created_by": actor,
            "created_at": now,
        },
    ).scalar_one()
    _audit(conn, actor, "scheme.save_draft", new_id, {"version": int(latest or 0) + 1}, now)
    return int(new_id)


@retrying
def save_draft(
    engine: Engine,
    spec: dict[str, Any],
    *,
    name: str,
    actor: str,
    available: set[str] | None = None,
    now: dt.datetime | None = None,
) -> SchemeVersion:
    """Validate and store ``spec`` as the population's next version, status draft.

    Raises ``SchemeError`` (nothing saved) when the spec has problems, or when ``name`` is empty.
    """
    _check_draft(spec, name, available)
    now = now or dt.datetime.now().replace(microsecond=0)
    with write_transaction(engine) as conn:
        new_id = _save_draft_in(conn, spec, name=name, actor=actor, now=now)
        return get_version(conn=conn, scheme_id=new_id)


@retrying
def publish(
    engine: Engine,
    spec: dict[str, Any],
    assignments: pd.DataFrame,
    *,
    name: str,
    actor: str,
    available: set[str] | None = None,
    now: dt.datetime | None = None,
) -> tuple[SchemeVersion, int]:
    """Save ``spec`` as a new version and publish it with ``assignments`` in ONE transaction (a crash or
    error in between leaves neither a stray draft nor a half publish). Returns (the version, rows written).

    Raises ``SchemeError`` (nothing saved) as ``save_draft`` does.
    """
    _check_draft(spec, name, available)
    now = now or dt.datetime.now().replace(microsecond=0)
    with write_transaction(engine) as conn:
        new_id = _save_draft_in(conn, spec, name=name, actor=actor, now=now)
        written = _write_assignments_in(
            conn, new_id, assignments, actor=actor, action="scheme.publish", at=now
        )
        return get_version(conn=conn, scheme_id=new_id), written


def assignments_frame(scored: Scored, spec: dict[str, Any]) -> pd.DataFrame:
    """customer_id, tier (label), score (rounded to 4 places), rule (trigger rule name or None)."""
    rules = np.array([None] + [t["rule"] for t in spec.get("triggers") or []], dtype=object)
    return pd.DataFrame(
        {
            "customer_id": scored.customer_id,
            "tier": np.array(scored.labels, dtype=object)[scored.tier],
            "score": np.round(scored.score.astype(np.float64), 4),
            "rule": rules[scored.rule.astype(np.int64) + 1],
        }
    )


def _population_schemes(population: str) -> sa.Select:
    return sa.select(ScoringScheme.id).where(ScoringScheme.population == population)


@retrying
def write_assignments(
    engine: Engine,
    scheme_id: int,
    assignments: pd.DataFrame,
    *,
    actor: str,
    action: str = "scheme.publish",
    at: dt.datetime | None = None,
) -> int:
    """Make ``scheme_id`` the published version of its population and its ``assignments`` the current
    tiers, all in one transaction. Returns the number of assignments written.

    Used by rollback and the nightly rescore (which re-publishes the published version); a new version is
    published with ``publish``. Publishes of one population at once run one after the other: the last one
    wins, and the database never holds two published versions of a population.
    """
    at = at or dt.datetime.now().replace(microsecond=0)
    with write_transaction(engine) as conn:
        return _write_assignments_in(conn, scheme_id, assignments, actor=actor, action=action, at=at)


def _write_assignments_in(
    conn: Connection, scheme_id: int, assignments: pd.DataFrame, *, actor: str, action: str, at: dt.datetime
) -> int:
    scheme = get_version(conn=conn, scheme_id=scheme_id)
    check(scheme.params)
    _lock_population(conn, scheme.population)
    conn.execute(
        sa.update(ScoringScheme)
        .where(
            ScoringScheme.population == scheme.population,
            ScoringScheme.status == "published",
            ScoringScheme.id != scheme_id,
        )
        .values(status="archived")
    )
    conn.execute(
        sa.update(ScoringScheme)
        .where(ScoringScheme.id == scheme_id)
        .values(status="published", published_by=actor, published_at=at)
    )
    conn.execute(
        sa.update(TierAssignment)
        .where(
            TierAssignment.effective_to.is_(None),
            TierAssignment.scheme_id.in_(_population_schemes(scheme.population)),
        )
        .values(effective_to=at)
    )
    frame = assignments.assign(scheme_id=scheme_id, effective_from=at, effective_to=pd.NaT)
    written = insert_frame(
        conn,
        "tier_assignments",
        frame[["customer_id", "scheme_id", "tier", "score", "rule", "effective_from", "effective_to"]],
    )
    _audit(conn, actor, action, scheme_id, {"version": scheme.version, "customers": written}, at)
    return written


def current_assignments(*, conn: Connection, population: str) -> pd.DataFrame:
    """customer_id, tier, score, rule, scheme_id of the assignments in force now."""
    q = sa.select(
        TierAssignment.customer_id,
        TierAssignment.tier,
        TierAssignment.score,
        TierAssignment.rule,
        TierAssignment.scheme_id,
    ).where(
        TierAssignment.effective_to.is_(None), TierAssignment.scheme_id.in_(_population_schemes(population))
    )
    return pd.read_sql(q, conn)


def last_assignments(*, conn: Connection, scheme_id: int) -> pd.DataFrame:
    """customer_id, tier, score of the latest assignment each customer got from ``scheme_id``."""
    latest = (
        sa.select(TierAssignment.customer_id, sa.func.max(TierAssignment.effective_from).label("at"))
        .where(TierAssignment.scheme_id == scheme_id)
        .group_by(TierAssignment.customer_id)
        .subquery()
    )
    q = (
        sa.select(TierAssignment.customer_id, TierAssignment.tier, TierAssignment.score)
        .join(
            latest,
            sa.and_(
                latest.c.customer_id == TierAssignment.customer_id,
                latest.c.at == TierAssignment.effective_from,
            ),
        )
        .where(TierAssignment.scheme_id == scheme_id)
    )
    return pd.read_sql(q, conn)


def compare(*, conn: Connection, a: int, b: int) -> dict[str, Any]:
    """Two versions side by side: weights per dimension, tiering, labels, and (where both have been
    published) how their latest assignments differ, as a transition matrix from a's tier to b's."""
    va, vb = get_version(conn=conn, scheme_id=a), get_version(conn=conn, scheme_id=b)
    dims = list(dict.fromkeys([*va.params["dimensions"], *vb.params["dimensions"]]))
    weights = pd.DataFrame(
        {
            "dimension": dims,
            "a": [float(va.params["dimensions"].get(d, {}).get("weight", 0)) for d in dims],
            "b": [float(vb.params["dimensions"].get(d, {}).get("weight", 0)) for d in dims],
        }
    )
    weights["change"] = weights["b"] - weights["a"]
    ta, tb = last_assignments(conn=conn, scheme_id=a), last_assignments(conn=conn, scheme_id=b)
    transition = None
    if len(ta) and len(tb):
        both = ta.merge(tb, on="customer_id", suffixes=("_a", "_b"))
        transition = pd.crosstab(
            pd.Categorical(both["tier_a"], categories=va.params["labels"]),
            pd.Categorical(both["tier_b"], categories=vb.params["labels"]),
            dropna=False,
        )
    return {"a": va, "b": vb, "weights": weights, "transition": transition}


def compare_tiers(
    scorer_a: Any, spec_a: dict[str, Any], scorer_b: Any, spec_b: dict[str, Any]
) -> tuple[pd.DataFrame, Any]:
    """Two versions on the same customers' features: each version's tier counts and shares, and who moves
    from version a's tier to version b's (the lab's ``core.scoring.lab.preview`` with a's tiers as the tiers before).

    ``scorer_a`` and ``scorer_b`` are fitted on the same features (``core.scoring.lab.LabData.scorers``). Returns
    (shares: tier, a, a_share, b, b_share, change — every label of a then b's others; the preview, whose
    ``moved_up``/``moved_down``/``unchanged`` and ``transition`` (rows a, columns b) say who moves).

    Examples
    --------
    >>> from core.scoring.scheme import Scorer
    >>> f = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": [5.0, 4, 3, 2, 1]}, index=[1, 2, 3, 4, 5])
    >>> spec = lambda dim: {"population": "owners", "labels": ["高", "低"], "triggers": [],
    ...     "tiering": {"method": "percentile", "cutoffs": [40, 60]}, "dimensions": {dim: {"weight": 100}}}
    >>> shares, moved = compare_tiers(Scorer(spec("x")).fit(f), spec("x"), Scorer(spec("y")).fit(f), spec("y"))
    >>> shares.to_dict("list")
    {'tier': ['高', '低'], 'a': [2, 3], 'a_share': [0.4, 0.6], 'b': [2, 3], 'b_share': [0.4, 0.6], 'change': [0, 0]}
    >>> len(moved.moved_up), len(moved.moved_down), moved.unchanged
    (2, 2, 1)
    """
    from core.scoring.lab import Published, preview

    if not np.array_equal(scorer_a.customer_id_, scorer_b.customer_id_):
        raise ValueError("the two scorers must be fitted on the same customers")
    scored_a = scorer_a.score(spec_a)
    before = Published(scored_a.tier.astype(np.int8), list(scored_a.labels), spec_a)
    moved = preview(scorer_b, spec_b, before)
    n = len(scored_a.tier)
    count_a = dict(
        zip(scored_a.labels, np.bincount(scored_a.tier, minlength=len(scored_a.labels)), strict=True)
    )
    count_b = dict(zip(moved.counts["tier"], moved.counts["customers"], strict=True))
    tiers = list(dict.fromkeys([*scored_a.labels, *moved.scored.labels]))
    shares = pd.DataFrame(
        {
            "tier": tiers,
            "a": [int(count_a.get(x, 0)) for x in tiers],
            "b": [int(count_b.get(x, 0)) for x in tiers],
        }
    )
    shares.insert(2, "a_share", shares["a"] / n if n else 0.0)
    shares["b_share"] = shares["b"] / n if n else 0.0
    shares["change"] = shares["b"] - shares["a"]
    return shares, moved


def rescore(
    engine: Engine,
    *,
    population: str,
    as_of: dt.date | None = None,
    actor: str = "rescore",
    inputs: FeatureInputs | None = None,
    at: dt.datetime | None = None,
) -> tuple[SchemeVersion, int]:
    """Recompute every tier of a population with its published scheme on today's data (the nightly job).

    ``inputs`` are the event tables to score on (default: read from the database) and ``at`` the time the
    new assignments take effect (default: now); the demo passes both to write a past rescore.
    Raises ``LookupError`` when the population has no published scheme.
    """
    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features
    from core.scoring.scheme import Scorer

    with engine.connect() as conn:
        scheme = published(conn=conn, population=population)
        if scheme is None:
            raise LookupError(f"no published scheme for {population}; publish one in the scoring lab first")
        if inputs is None:
            inputs = load_feature_inputs(conn=conn)
    features = compute_features(inputs, population=population, as_of=as_of or dt.date.today())
    scored = Scorer(scheme.params).fit(features).score()
    n = write_assignments(
        engine,
        scheme.id,
        assignments_frame(scored, scheme.params),
        actor=actor,
        action="scheme.rescore",
        at=at,
    )
    return scheme, n


def export_tiers(*, conn: Connection, population: str | None = None) -> pd.DataFrame:
    """Current assignments: customer_id, population, tier, score, scheme_version, rule, effective_from."""
    q = (
        sa.select(
            TierAssignment.customer_id,
            ScoringScheme.population,
            TierAssignment.tier,
            TierAssignment.score,
            ScoringScheme.version.label("scheme_version"),
            TierAssignment.rule,
            TierAssignment.effective_from,
        )
        .join(ScoringScheme, ScoringScheme.id == TierAssignment.scheme_id)
        .where(TierAssignment.effective_to.is_(None))
        .order_by(ScoringScheme.population, TierAssignment.customer_id)
    )
    if population:
        q = q.where(ScoringScheme.population == population)
    return pd.read_sql(q, conn)


def published_shares(*, conn: Connection, population: str) -> pd.DataFrame | None:
    """``shares_table`` of the assignments in force of a population's published scheme (counted in SQL, one
    GROUP BY); None when nothing is published. A stored tier outside the scheme's labels is not counted."""
    scheme = published(conn=conn, population=population)
    if scheme is None:
        return None
    # by tier and rule (a handful of groups); a rule recorded = forced by that trigger
    q = (
        sa.select(TierAssignment.tier, TierAssignment.rule, sa.func.count().label("n"))
        .where(
            TierAssignment.effective_to.is_(None),
            TierAssignment.scheme_id.in_(
                sa.select(ScoringScheme.id).where(ScoringScheme.population == population)
            ),
        )
        .group_by(TierAssignment.tier, TierAssignment.rule)
    )
    rows = pd.DataFrame(conn.execute(q).all(), columns=["tier", "rule", "n"])
    labels = list(scheme.params["labels"])

    def per_tier(part: pd.DataFrame) -> np.ndarray:
        return part.groupby("tier")["n"].sum().reindex(labels, fill_value=0).to_numpy(dtype=np.int64)

    return shares_table(
        per_tier(rows), per_tier(rows[rows["rule"].notna()]), labels, scheme.params["tiering"]
    )
