"""A table as shown on a page, with CSV and Excel downloads of exactly what it shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import audit, exports
from core.db import write_transaction
from dashboard import access, db
from dashboard.i18n import t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _xlsx(frame: pd.DataFrame, sheet: str):
    """The Excel file, built when the button is clicked (Streamlit runs the callable on its own thread).

    openpyxl takes 50-100 ms per table even for a few hundred rows; built eagerly, a page of six tables spent
    most of a filter change's rerun writing workbooks nobody had asked for. The frame is copied, so a later
    rerun cannot change what an earlier click downloads."""
    frame = frame.copy()

    def build() -> bytes:
        return exports.xlsx_bytes(frame, sheet=sheet, show_pii=True)  # masked already, as shown

    return build


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, for Excel) and Excel downloads of ``frame``, formula-like cells neutralised;
    each download is audited."""
    c1, c2, _ = st.columns([1, 1, 4])
    with c1:
        st.download_button(
            t("download.csv"),
            _csv(frame),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            icon=":material/download:",
            on_click=record_export,
            args=(name, len(frame), "csv"),
        )
    with c2:
        st.download_button(
            t("download.xlsx"),
            _xlsx(frame, name),
            file_name=f"{name}.xlsx",
            mime=XLSX_MIME,
            key=f"{key}_xlsx",
            icon=":material/download:",
            on_click=record_export,
            args=(name, len(frame), "xlsx"),
        )


def table(frame: pd.DataFrame, name: str, key: str, percent: tuple[str, ...] = ()) -> None:
    """``st.dataframe`` of ``frame`` (columns in ``percent`` as percentages) and its downloads."""
    st.dataframe(
        frame,
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="percent") for c in percent},
        key=key,
    )
    downloads(frame, name, key)
