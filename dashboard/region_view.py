"""The charts and tables of 区域分级分布 Tiers by region, built from :mod:`core.analytics.tier_report` frames:
the year-over-year small multiples (Altair), the concentration heatmap, the migration matrix and Sankey (Plotly),
and the customer lists behind them."""

from __future__ import annotations

import altair as alt
import pandas as pd
import plotly.graph_objects as go

from dashboard import charts_altair
from dashboard.analysis_views import tier_colours
from dashboard.analysis_views import tier_name as tname
from dashboard.i18n import t
from dashboard.safe_text import chart_text

PERCENT = ("share_before", "share", "concentration_before", "concentration")
SIDES = ("before", "now")  # a year before first, as the chart and the table read


def pp(v: float) -> float:
    return v * 100


def with_names(yoy: pd.DataFrame, en: bool) -> pd.DataFrame:
    """The year-over-year frame with an int ``region_key`` (-1: no region) and the region's shown name."""
    return yoy.assign(
        region_key=yoy["region_id"].map(lambda r: -1 if r is None or pd.isna(r) else int(r)),
        region_name=yoy["region_en" if en else "region"],
    )


def yoy_long(yoy: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One row per region × tier × side (a year before, now): the figure the small multiples draw."""
    rows = []
    for side, suffix in (("before", "_before"), ("now", "")):
        part = yoy[["region_key", "region_name", "tier"]].copy()
        part["side"] = side
        part["side_name"] = t(f"regions.short.{side}")
        part[measure] = yoy[measure + suffix].to_numpy()
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["tier_name"] = out["tier"].map(tname)
    order = {k: i for i, k in enumerate(dict.fromkeys(yoy["region_key"]))}
    out = out.assign(_r=out["region_key"].map(order), _s=out["side"].map(SIDES.index))
    return out.sort_values(["_r", "_s"], kind="stable").drop(columns=["_r", "_s"]).reset_index(drop=True)


def yoy_chart(yoy: pd.DataFrame, tiers: list[str], colours: dict[str, str], measure: str) -> alt.FacetChart:
    """Tiers per region, a year before against now: one small chart per region, one colour per tier."""
    return charts_altair.tier_small_multiples(
        yoy_long(yoy, measure),
        value=measure,
        value_title=t(f"regions.measure.{measure}"),
        tiers=[tname(x) for x in tiers],
        colours=[colours[x] for x in tiers],
        sides=[t(f"regions.short.{s}") for s in SIDES],
        titles=(t("regions.col.region"), t("regions.col.tier"), t("regions.drill.side")),
        percent=measure == "share",
    )


def yoy_table(yoy: pd.DataFrame) -> pd.DataFrame:
    """The year-over-year table shown and downloaded (changes of shares in percentage points)."""
    return pd.DataFrame(
        {
            t("regions.col.region"): yoy["region_name"],
            t("regions.col.tier"): yoy["tier"].map(tname),
            t("regions.col.customers_before"): yoy["customers_before"],
            t("regions.col.customers"): yoy["customers"],
            t("regions.col.change"): yoy["change"],
            t("regions.col.share_before"): yoy["share_before"],
            t("regions.col.share"): yoy["share"],
            t("regions.col.share_change"): yoy["share_change"].map(pp).round(1),
            t("regions.col.concentration_before"): yoy["concentration_before"],
            t("regions.col.concentration"): yoy["concentration"],
            t("regions.col.concentration_change"): yoy["concentration_change"].map(pp).round(1),
        }
    )


def percent_columns() -> tuple[str, ...]:
    return tuple(t(f"regions.col.{c}") for c in PERCENT)


def concentration(yoy: pd.DataFrame, tiers: list[str], now: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame]:
    """The heatmap of where each tier lives at the period's end, and its table."""
    conc = yoy.pivot_table(
        index="region_name", columns="tier", values="concentration", sort=False, dropna=False
    )
    # the tiers customers have at the period's end (an earlier version's tiers would be empty columns)
    conc = conc.reindex(columns=[x for x in tiers if x in set(now["tier"].unique())] or tiers)
    heat = go.Figure(
        go.Heatmap(
            z=conc.to_numpy(),
            x=[tname(x) for x in conc.columns],
            y=conc.index.tolist(),
            colorscale="Blues",
            zmin=0,
            zmax=1,
            text=[["—" if pd.isna(v) else f"{v:.1%}" for v in row] for row in conc.to_numpy()],
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            colorbar=dict(tickformat=".0%"),
        )
    ).update_yaxes(autorange="reversed")
    shown = conc.rename(columns=tname).reset_index().rename(columns={"region_name": t("regions.col.region")})
    return heat, shown


def people_table(people: pd.DataFrame, en: bool) -> pd.DataFrame:
    """The customers behind a figure, as listed and downloaded."""
    return pd.DataFrame(
        {
            t("regions.col.customer_id"): people["customer_id"],
            t("regions.col.name"): people["name"],
            t("regions.col.phone"): people["phone"],
            t("regions.col.region"): people["region_en" if en else "region"],
            t("regions.col.store"): people["store_en" if en else "store"],
        }
    )


def migration_matrix(moves: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Customers per (from, to) tier as a matrix, with its row and column tiers in order."""
    rows = list(dict.fromkeys(moves["from_tier"]))
    cols = list(dict.fromkeys(moves["to_tier"]))
    matrix = moves.pivot(index="from_tier", columns="to_tier", values="customers").reindex(
        index=rows, columns=cols
    )
    # untiered → untiered: customers without a tier on either side, not counted
    return matrix.fillna(0).astype(int), rows, cols


def matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    shown = matrix.rename(index=tname, columns=tname).reset_index()
    return shown.rename(
        columns={"from_tier": f"{t('regions.migration.from')} \\ {t('regions.migration.to')}"}
    )


def matrix_figure(matrix: pd.DataFrame, name_a: str, name_b: str) -> go.Figure:
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[tname(c) for c in matrix.columns],
            y=[tname(r) for r in matrix.index],
            colorscale="Blues",
            text=matrix.to_numpy(),
            texttemplate="%{text}",
            hovertemplate=f"{t('regions.migration.from')} %{{y}} → %{{x}}: %{{z}}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title=f"{t('regions.migration.from')}: {chart_text(name_a)}")
    fig.update_xaxes(title=f"{t('regions.migration.to')}: {chart_text(name_b)}", side="top")
    return fig


def sankey_figure(
    moves: pd.DataFrame,
    rows: list[str],
    cols: list[str],
    shorts: tuple[str, str],
    schemes: tuple[list[str], list[str]],
    owner_schemes: list[list[str]],
) -> go.Figure:
    """The flows between the two sides' tiers, each in its source tier's colour."""
    ca = tier_colours(rows, [schemes[0], *owner_schemes])
    cb = tier_colours(cols, [schemes[1], *owner_schemes])
    flows = moves[moves["customers"] > 0]
    nodes = [f"{tname(r)} ({shorts[0]})" for r in rows] + [f"{tname(c)} ({shorts[1]})" for c in cols]
    return go.Figure(
        go.Sankey(
            node=dict(label=nodes, color=[ca[r] for r in rows] + [cb[c] for c in cols], pad=18),
            link=dict(
                source=[rows.index(x) for x in flows["from_tier"]],
                target=[len(rows) + cols.index(y) for y in flows["to_tier"]],
                value=flows["customers"].tolist(),
                color=[ca[x] + "66" for x in flows["from_tier"]],  # the source tier's colour, translucent
            ),
        )
    )
