"""Typed field values → rows of the model's tables (codes, stage indexes, defaults, consistent stage times)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.storage.models import FUNNEL_STAGES, STAGE_TIME_COLUMNS

ORDER = FUNNEL_STAGES.index("order")
DELIVERY = FUNNEL_STAGES.index("delivery")
RESPONDED = {"reached", "replied", "visited"}


def col(v: pd.DataFrame, name: str, default=None) -> pd.Series:
    """A field's values, or ``default`` everywhere when the file does not have it."""
    if name in v:
        return v[name]
    return pd.Series([default] * len(v), index=v.index, dtype=object)


def stage_index(codes: pd.Series) -> pd.Series:
    """Stage codes → index into FUNNEL_STAGES (missing stays missing).

    Examples
    --------
    >>> stage_index(pd.Series(["lead", "order", None])).tolist()
    [0, 6, <NA>]
    """
    return codes.map({s: i for i, s in enumerate(FUNNEL_STAGES)}).astype("Int64")


def lead_rows(v: pd.DataFrame) -> pd.DataFrame:
    """Leads with a consistent stage, status and grade.

    The stage is the file's, else the furthest stage with a time; ``won`` means at least ``order``.
    A status missing from the file follows from the stage (order or later: won), else from a defeat time
    (defeated), else open. Times of stages beyond the stage reached, and a defeat time of a lead that is not
    defeated, are dropped. A missing grade is O for an order, D for a delivery, otherwise C.

    Examples
    --------
    >>> v = pd.DataFrame({"stage": ["order", "lead", None], "status": [None, "defeated", "won"],
    ...     "created_at": pd.to_datetime(["2024-01-01"] * 3), "order_at": pd.to_datetime(["2024-01-05"] * 3),
    ...     "defeated_at": pd.to_datetime(["2024-01-09"] * 3)})
    >>> r = lead_rows(v)
    >>> r[["stage_reached", "status", "grade"]].values.tolist(), r["order_at"].notna().tolist(), r["defeated_at"].notna().tolist()
    ([[6, 'won', 'O'], [0, 'defeated', 'C'], [6, 'won', 'O']], [True, False, True], [False, True, False])
    """
    out = pd.DataFrame(index=v.index)
    times = {c: pd.to_datetime(col(v, c)) for c in STAGE_TIME_COLUMNS}
    stage = stage_index(col(v, "stage"))
    furthest = pd.Series(0, index=v.index, dtype="Int64")
    for i, c in enumerate(STAGE_TIME_COLUMNS, start=1):
        furthest = furthest.where(times[c].isna(), i)
    stage = stage.fillna(furthest)
    status = col(v, "status").astype(object)
    defeated_at = pd.to_datetime(col(v, "defeated_at"))
    derived = np.where(stage >= ORDER, "won", np.where(defeated_at.notna(), "defeated", "open"))
    status = status.where(status.notna(), pd.Series(derived, index=v.index))
    stage = stage.where(~((status == "won") & (stage < ORDER)), ORDER)
    out["stage_reached"] = stage.astype(int)
    out["status"] = status
    out["created_at"] = pd.to_datetime(v["created_at"])
    for i, c in enumerate(STAGE_TIME_COLUMNS, start=1):
        out[c] = times[c].where(out["stage_reached"] >= i)
    out["defeated_at"] = defeated_at.where(status == "defeated")
    grade = col(v, "grade").astype(object)
    default_grade = np.where(stage >= DELIVERY, "D", np.where(stage >= ORDER, "O", "C"))
    out["grade"] = grade.where(grade.notna(), pd.Series(default_grade, index=v.index))
    for name in ("intended_model", "expected_purchase_date", "last_contact_at"):
        if name in v:
            out[name] = v[name]
    out["asked_competitor"] = col(v, "asked_competitor", False).fillna(False).astype(bool)
    return out


def followup_rows(v: pd.DataFrame) -> pd.DataFrame:
    """Follow-ups: outcome defaults to reached; ``responded`` follows from the outcome unless given."""
    out = pd.DataFrame(index=v.index)
    out["at"] = pd.to_datetime(v["at"])
    out["kind"] = v["kind"]
    outcome = col(v, "outcome").astype(object)
    out["outcome"] = outcome.where(outcome.notna(), "reached")
    responded = col(v, "responded").astype(object)
    out["responded"] = responded.where(responded.notna(), out["outcome"].isin(RESPONDED)).astype(bool)
    if "note" in v:
        out["note"] = v["note"]
    return out


def purchase_rows(v: pd.DataFrame) -> pd.DataFrame:
    """Purchases: kind defaults to new_car, gross profit to 0."""
    out = pd.DataFrame(index=v.index)
    kind = col(v, "kind").astype(object)
    out["kind"] = kind.where(kind.notna(), "new_car")
    out["at"] = pd.to_datetime(v["at"]).dt.normalize()
    out["amount"] = v["amount"].astype(float)
    out["gross_profit"] = col(v, "gross_profit", 0.0).astype(float).fillna(0.0)
    if "model" in v:
        out["model"] = v["model"]
    return out


def defeat_rows(v: pd.DataFrame, lead_stage: pd.Series) -> pd.DataFrame:
    """Defeats: the stage lost defaults to the lead's stage reached; approved; not reactivated unless said."""
    out = pd.DataFrame(index=v.index)
    out["at"] = pd.to_datetime(v["at"])
    stage = stage_index(col(v, "stage_lost"))
    out["stage_lost"] = stage.fillna(lead_stage.astype("Int64")).fillna(0).astype(int)
    out["reason"] = v["reason"]
    for name in ("sub_reason", "competitor_brand", "competitor_model", "reactivated_at"):
        if name in v:
            out[name] = v[name]
    out["approval"] = "approved"
    out["reactivated"] = col(v, "reactivated", False).fillna(False).astype(bool)
    return out
