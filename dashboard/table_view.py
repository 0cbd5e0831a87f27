"""A table as shown on a page, with CSV and Excel downloads of exactly what it shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import exports
from dashboard.i18n import t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, for Excel) and Excel downloads of ``frame``, formula-like cells neutralised."""
    c1, c2, _ = st.columns([1, 1, 4])
    with c1:
        st.download_button(
            t("download.csv"),
            exports.csv_bytes(frame),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            icon=":material/download:",
        )
    with c2:
        st.download_button(
            t("download.xlsx"),
            exports.xlsx_bytes(frame, sheet=name),
            file_name=f"{name}.xlsx",
            mime=XLSX_MIME,
            key=f"{key}_xlsx",
            icon=":material/download:",
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
