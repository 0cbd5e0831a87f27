"""The lab's draft spec lives in widget keys; this module loads a spec into them and reads it back."""

from __future__ import annotations

import copy
import re
from typing import Any

import streamlit as st

from core.scoring.features import DIMENSIONS, dimension_names
from core.scoring.scheme import PRESETS, TRIGGER_RULES, preset

NO_TIE_BREAK = "none"  # the tie-break selectbox's option for no tie-break (a spec's tie_break None)


def key(population: str, name: str) -> str:
    return f"lab_{name}_{population}"


def default_spec(population: str) -> dict[str, Any]:
    name = next(n for n, p in PRESETS.items() if p["population"] == population)
    return preset(name)


def load(population: str, spec: dict[str, Any]) -> None:
    """Put ``spec`` into the widgets' session-state keys (a callback or before the widgets are drawn)."""
    st.session_state[key(population, "loaded")] = copy.deepcopy(spec)
    for dim in dimension_names(population):
        d = spec["dimensions"].get(dim, {})
        st.session_state[key(population, f"w_{dim}")] = int(round(float(d.get("weight", 0))))
        st.session_state[key(population, f"norm_{dim}")] = d.get("normalisation", "percentile")
        st.session_state[key(population, f"dir_{dim}")] = d.get("direction", DIMENSIONS[dim].direction)
    tiering = spec["tiering"]
    st.session_state[key(population, "method")] = tiering["method"]
    st.session_state[key(population, "labels")] = " / ".join(spec["labels"])
    st.session_state[key(population, "cutoffs")] = " / ".join(
        _fmt(x) for x in tiering.get("cutoffs", [20, 60, 20])
    )
    st.session_state[key(population, "tie_break")] = tiering.get("tie_break") or NO_TIE_BREAK
    st.session_state[key(population, "thresholds")] = " / ".join(
        _fmt(x) for x in tiering.get("thresholds", [70, 40])
    )
    triggers = spec.get("triggers") or []
    st.session_state[key(population, "triggers")] = [x["rule"] for x in triggers]
    st.session_state[key(population, "trigger_tier")] = (
        triggers[0]["tier"] if triggers else spec["labels"][-1]
    )


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def ensure(data: Any) -> None:
    """First visit of a population: start from the published spec, else the population's first preset."""
    if key(data.population, "loaded") not in st.session_state:
        spec = (
            data.published_version.params
            if data.published_version is not None
            else default_spec(data.population)
        )
        load(data.population, spec)


def parse_numbers(text: str) -> list[Any]:
    """'20 / 60 / 20' → [20.0, 60.0, 20.0]; anything not a number becomes None (validation reports it)."""
    out: list[Any] = []
    for part in re.split(r"[/,，、\s]+", (text or "").strip()):
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            out.append(None)
    return out


def parse_labels(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[/,，、]", text or "")] if (text or "").strip() else []


def read(population: str) -> dict[str, Any]:
    """The spec the widgets currently describe."""
    ss = st.session_state
    labels = parse_labels(ss.get(key(population, "labels"), ""))
    method = ss.get(key(population, "method"), "percentile")
    tiering: dict[str, Any] = {"method": method}
    if method == "percentile":
        tiering["cutoffs"] = parse_numbers(ss.get(key(population, "cutoffs"), ""))
        tie_break = ss.get(key(population, "tie_break"), NO_TIE_BREAK)
        if tie_break != NO_TIE_BREAK:  # absent = none: a scheme without one reads as it was saved
            tiering["tie_break"] = tie_break
    else:
        tiering["thresholds"] = parse_numbers(ss.get(key(population, "thresholds"), ""))
    tier = ss.get(key(population, "trigger_tier"))
    triggers = [
        {"rule": rule, "tier": tier}
        for rule in ss.get(key(population, "triggers"), [])
        if rule in TRIGGER_RULES and population in TRIGGER_RULES[rule][1]
    ]
    return {
        "population": population,
        "dimensions": {
            dim: {
                "weight": ss.get(key(population, f"w_{dim}"), 0),
                "normalisation": ss.get(key(population, f"norm_{dim}"), "percentile"),
                "direction": ss.get(key(population, f"dir_{dim}"), DIMENSIONS[dim].direction),
            }
            for dim in dimension_names(population)
        },
        "tiering": tiering,
        "labels": labels,
        "triggers": triggers,
    }
