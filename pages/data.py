"""数据管理 Data management: which database, its schema version, row counts; demo data for an empty one."""

import streamlit as st

from core.storage.db import head_revision, mask_url, schema_revision
from dashboard import access, db, demo_widget
from dashboard.i18n import TEXT, t

st.title(t("data.title"))
access.require("import_data")
engine = db.get_engine()
version = db.data_version(engine)
s = db.settings()
st.subheader(t("data.database"))
st.markdown(
    f"- {t('data.url')}: `{mask_url(s.database_url)}`\n- {t('data.source')}: {t('db.source.' + s.source)}"
)
rev = schema_revision(engine)
st.markdown(f"- {t('data.schema')}: {t('data.schema_ok', rev=rev) if rev == head_revision() else rev}")
meta = db.meta(engine, version)
if meta.get("demo") == "true":
    st.caption(
        t(
            "data.demo_meta",
            seed=meta.get("demo_seed"),
            as_of=meta.get("demo_as_of"),
            customers=meta.get("demo_customers"),
        )
    )
st.subheader(t("data.tables"))
counts = db.table_counts(engine, version)
shown = counts.assign(
    name=counts["table"],
    table=counts["table"].map(lambda x: t(f"data.tbl.{x}") if f"data.tbl.{x}" in TEXT else x),
)[["table", "rows", "name"]]
st.dataframe(
    shown.rename(columns={"table": t("data.table"), "rows": t("data.rows"), "name": t("data.table.name")}),
    hide_index=True,
    key="table_counts",
)
if not db.customer_count(engine, version):
    demo_widget.show(engine, key="demo_data")
