"""A table as shown on a page, with CSV and Excel downloads of exactly what it shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from core.access import audit
from core.io import exports
from core.storage.db import write_transaction
from dashboard import access, db
from dashboard import downloads as dl
from dashboard.i18n import t

EMPTY = "—"  # an undefined figure (a ratio of nothing) in a table on screen; its download keeps an empty cell


def record_export(name: str, rows: int, fmt: str) -> None:
    """Audit a download (a download button's on_click): who took which table, how many rows, in what format."""
    engine = db.get_engine()
    user = access.current_user(engine)
    with write_transaction(engine) as conn:
        audit.record(
            conn,
            actor=user.name if user else "?",
            action="export",
            object_type="table",
            object_id=name,
            detail={"rows": rows, "format": fmt},
        )


@st.cache_data(show_spinner=False, max_entries=64, ttl=600)
def _csv(frame: pd.DataFrame) -> bytes:
    return exports.csv_bytes(frame, show_pii=True)  # masked already as the viewer's role requires


def file_stem(name: str) -> str:
    """A download's file name without extension: the table, then the period and the filters it shows, e.g.
    ``channel_roi_2026-06-01_2026-06-30_store-1-3_channel-4`` (ids: names may hold characters file systems
    refuse)."""
    from dashboard import filters

    f = filters.current()
    if f is None:
        return name
    parts = [name, f"{f.start:%Y-%m-%d}_{f.end:%Y-%m-%d}"]
    for label, ids in (("store", f.store_ids), ("region", f.region_ids), ("channel", f.channel_ids)):
        if ids:
            parts.append(f"{label}-" + "-".join(str(i) for i in ids))
    return "_".join(parts)


def _xlsx(frame: pd.DataFrame, sheet: str, percent: tuple[str, ...] = (), money: tuple[str, ...] = ()):
    """The Excel file, built when the button is clicked (Streamlit runs the callable on its own thread).

    openpyxl takes 50-100 ms per table even for a few hundred rows; built eagerly, a page of six tables spent
    most of a filter change's rerun writing workbooks nobody had asked for. The frame is copied, so a later
    rerun cannot change what an earlier click downloads."""
    frame = frame.copy()

    def build() -> bytes:  # masked already, as shown
        return exports.xlsx_bytes(frame, sheet=sheet, show_pii=True, percent=percent, money=money)

    return build


def downloads(
    frame: pd.DataFrame, name: str, key: str, *, percent: tuple[str, ...] = (), money: tuple[str, ...] = ()
) -> None:
    """CSV (UTF-8 with BOM, for Excel) and Excel downloads of ``frame``, formula-like cells neutralised;
    each download is audited. The file names carry the period and filters (:func:`file_stem`); in Excel the
    ``percent`` columns show as percentages and other numbers with thousands separators."""
    stem = file_stem(name)
    c1, c2, _ = st.columns([1, 1, 4])
    with c1:
        st.download_button(
            t("download.csv"),
            _csv(frame),
            file_name=f"{stem}.csv",
            mime=dl.mime(dl.CSV),
            key=f"{key}_csv",
            icon=":material/download:",
            on_click=record_export,
            args=(name, len(frame), "csv"),
        )
    with c2:
        st.download_button(
            t("download.xlsx"),
            _xlsx(frame, name, tuple(percent), tuple(money)),
            file_name=f"{stem}.xlsx",
            mime=dl.mime(dl.XLSX),
            key=f"{key}_xlsx",
            icon=":material/download:",
            on_click=record_export,
            args=(name, len(frame), "xlsx"),
        )


def percent_text(value: float) -> str:
    """A ratio as ``NumberColumn(format="percent")`` shows it: at most two decimals, no trailing zeros."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def number_text(value: float) -> str:
    """A number as Streamlit shows an unformatted one: at most four decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def with_empty_text(
    frame: pd.DataFrame,
    formats: Mapping[str, Callable[[float], str]] | None = None,
    texts: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The table as shown: each numeric column with an empty cell becomes text, its figures written by
    ``formats[column]`` (default :func:`number_text`) and its empty cells ``texts[column]`` (default "—").

    Streamlit shows an empty number as a grey "None" whatever the column's format (``column_config`` or a
    Styler), so such a column has to be text on screen. Columns without an empty cell stay numeric (they sort
    and keep their format). The downloads take the frame itself: an empty cell there stays empty. Returns the
    shown frame and the columns made text.
    """
    formats, texts = formats or {}, texts or {}
    shown = frame.copy()
    made_text = []
    for c in shown.columns:
        col = shown[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) or not col.isna().any():
            continue
        fmt, empty = formats.get(c, number_text), texts.get(c, EMPTY)
        shown[c] = col.map(lambda v, fmt=fmt, empty=empty: empty if pd.isna(v) else fmt(v)).astype(object)
        made_text.append(c)
    return shown, made_text


def text_columns(columns: list[str]) -> dict:
    """Column settings of figures shown as text: aligned right, as numbers are."""
    return {c: st.column_config.TextColumn(alignment="right") for c in columns}


def table(frame: pd.DataFrame, name: str, key: str, percent: tuple[str, ...] = ()) -> None:
    """``st.dataframe`` of ``frame`` (columns in ``percent`` as percentages; an undefined figure as "—") and
    its downloads (an undefined figure as an empty cell)."""
    shown, made_text = with_empty_text(frame, {c: percent_text for c in percent})
    config = {c: st.column_config.NumberColumn(format="percent") for c in percent if c not in made_text}
    st.dataframe(shown, hide_index=True, column_config=config | text_columns(made_text), key=key)
    downloads(frame, name, key, percent=percent)
