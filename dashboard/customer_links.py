"""Lists of customers that open the customer 360 in the same session: choose a row, follow the link.

(A LinkColumn cell opens a new browser tab, which is a new Streamlit session and asks to sign in again.)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.i18n import t


def table(shown: pd.DataFrame, customer_ids: Sequence[int], *, key: str, **kwargs) -> None:
    """``st.dataframe`` of ``shown`` with single-row selection; the chosen row's customer gets a 360 link."""
    st.caption(t("c360.choose_row"))
    event = st.dataframe(
        shown, hide_index=True, key=key, on_select="rerun", selection_mode="single-row", **kwargs
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(customer_ids):
        from dashboard import review_data

        review_data.link_to_customer(int(customer_ids[rows[0]]))
