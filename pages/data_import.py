"""导入数据 Import data: upload, column mapping, preview and validation report, then one-transaction commit."""

import functools
import json

import streamlit as st

from core.io.importing import KINDS, ReadError, read_table
from core.io.importing.report import file_issue
from dashboard import access, db
from dashboard import import_view as iv
from dashboard.i18n import coded, t
from dashboard.safe_text import plain

st.title(t("import.title"))
access.require("import_data")
st.caption(t("import.intro"))
done_message = st.session_state.pop("import_done", None)
if done_message:
    st.success(done_message)
engine = db.get_engine()
kind = st.selectbox(
    t("import.kind"), KINDS, format_func=functools.partial(coded, "import.kind"), key="import_kind"
)
upload = st.file_uploader(t("import.file"), type=["csv", "txt", "tsv", "xlsx"], key="import_file")
if upload is None:
    st.stop()
data = upload.getvalue()
file_key = iv.signature(data)
try:
    table = read_table(data, upload.name)
except ReadError as exc:
    iv.show_rejection(file_issue("file." + exc.code, exc.params))
    st.stop()
st.caption(t("import.read", rows=f"{len(table.frame):,}", cols=len(table.headers), encoding=table.encoding))

with st.expander(t("import.mapping"), expanded=True):
    st.caption(t("import.mapping.help"))
    mapping_upload = st.file_uploader(t("import.mapping_file"), type=["json"], key="import_mapping_file")
    base, problem = iv.uploaded_mapping(kind, mapping_upload.getvalue() if mapping_upload else None)
    if problem:
        st.warning(plain(problem))  # it quotes the mapping file: a column name, a JSON error
    mapping = iv.mapping_widgets(table, kind, base, file_key)
    create = st.checkbox(
        t("import.create_missing"), value=True, help=t("import.create_missing.help"), key="import_create"
    )

mapping_json = json.dumps(mapping.to_dict(), sort_keys=True, ensure_ascii=False)
check_key = f"{file_key}|{mapping_json}|{create}"
if st.button(t("import.check"), type="secondary", key="import_check"):
    st.session_state["import_checked"] = check_key
if st.session_state.get("import_checked") != check_key:
    if st.session_state.get("import_checked"):
        st.caption(t("import.changed"))
    st.stop()

version = db.data_version(engine)
with st.spinner(t("import.checking")):
    res = iv.checked(engine, version, file_key, table, mapping_json, create)
if res.file_rejected:
    iv.show_rejection(res.issues)
    st.stop()
iv.show_result(res, file_key)
if not res.valid_rows:
    st.warning(t("import.nothing_valid"))
    st.stop()
if res.error_rows:
    st.warning(t("import.has_errors", errors=f"{res.error_rows:,}", valid=f"{res.valid_rows:,}"))
label = (
    t("import.commit_valid", n=f"{res.valid_rows:,}")
    if res.error_rows
    else t("import.commit", n=f"{res.valid_rows:,}")
)
if st.button(label, type="primary", key="import_commit"):
    done = iv.commit(engine, table, mapping, create)
    if done is not None:
        # start over: the message on top, the file and mapping still there for another import
        st.session_state.pop("import_checked", None)
        st.session_state["import_done"] = iv.done_message(done)
        st.rerun()
