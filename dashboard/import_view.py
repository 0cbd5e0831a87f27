"""The import page's parts: the column-mapping widgets, the checked preview (cached), results and the commit."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.io.exports import mask_pii
from core.io.importing import ImportResult, Mapping, MappingError, Table, import_table, mapping_from_dict
from core.io.importing import report as ir
from core.io.importing.fields import fields
from core.io.importing.mapping import suggest_mapping
from core.io.importing.messages import text as core_text
from dashboard import access, db
from dashboard import downloads as dl
from dashboard.i18n import language, t
from dashboard.safe_text import plain

UNMAPPED = ""
PREVIEW_PII = {
    "name": "name",
    "phone": "phone",
    "customer_name": "name",
    "customer_phone": "phone",
    "gender": "hidden",
    "birth_date": "hidden",
    "note": "hidden",
}


def header_option(value: str) -> str:
    """Label of a mapping option: the file's header, or '(not imported)'."""
    return t("import.unmapped") if value == UNMAPPED else value


def signature(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def uploaded_mapping(kind: str, data: bytes | None) -> tuple[Mapping | None, str | None]:
    """(mapping, problem) from an uploaded JSON mapping file."""
    if not data:
        return None, None
    try:
        return mapping_from_dict(json.loads(data.decode("utf-8-sig")), kind), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, core_text("mapping.json", language(), path="", detail=str(exc)[:200])
    except MappingError as exc:
        return None, core_text(f"mapping.{exc.code}", language(), **exc.params)


def mapping_widgets(table: Table, kind: str, base: Mapping | None, file_key: str) -> Mapping:
    """One selectbox per field, preset from the uploaded mapping or the headers' synonyms."""
    headers = table.headers
    suggested: dict[str, str] = suggest_mapping(headers, kind)
    if base is not None:
        suggested = {k: v if isinstance(v, str) else v[0] for k, v in base.columns.items()}
    options = [UNMAPPED, *headers]
    chosen: dict[str, str | list[str]] = {}
    cols = st.columns(3)
    for i, f in enumerate(fields(kind)):
        pick = suggested.get(f.name, UNMAPPED)
        index = options.index(pick) if pick in options else 0
        label = t(f"import.field.{f.name}") + (" *" if f.required else "")
        with cols[i % 3]:
            value = st.selectbox(
                label,
                options,
                index=index,
                format_func=header_option,
                key=f"map_{file_key}_{kind}_{f.name}",
            )
        if value != UNMAPPED:
            # a list in the uploaded mapping (first non-empty column) is kept while its first column is chosen
            original = base.columns.get(f.name) if base is not None else None
            chosen[f.name] = original if isinstance(original, list) and original[0] == value else value
    if base is None:
        return Mapping(kind, chosen)
    return Mapping(
        kind, chosen, base.values, base.defaults, base.null_values, base.date_order, base.excel_serials
    )


@st.cache_data(show_spinner=False, max_entries=4, ttl=900)
def checked(_engine: Engine, version: str, file_key: str, _table: Table, mapping_json: str, create: bool):
    """The dry run of the import (what it would write and the report), cached per file, mapping and data."""
    mapping = mapping_from_dict(json.loads(mapping_json))
    return import_table(_engine, _table, mapping, dry_run=True, create_missing=create)


def references_text(created: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{t('import.refs.' + k)} ({len(v)}): {', '.join(plain(x) for x in v[:10])}{' …' if len(v) > 10 else ''}"
        for k, v in created.items()
    )


def show_rejection(issues: pd.DataFrame) -> None:
    # the message quotes the file (its name, a header, a cell): those values are text in its Markdown; a
    # "limit" is the importer's own number ("1,000")
    quoted = issues["params"].map(
        lambda p: {k: plain(v) if isinstance(v, str) and k != "limit" else v for k, v in (p or {}).items()}
    )
    report = ir.report_frame(issues.assign(params=quoted), language())
    st.error(f"**{t('import.rejected')}**\n\n{report.iloc[0, 3]}\n\n{report.iloc[0, 4]}")


def show_result(res: ImportResult, file_key: str) -> None:
    st.subheader(t("import.summary"))
    figures = [
        ("import.m.rows", res.rows),
        ("import.m.valid", res.valid_rows),
        ("import.m.errors", res.error_rows),
        ("import.m.inserted", res.inserted),
        ("import.m.updated", res.updated),
        ("import.m.unchanged", res.unchanged),
        ("import.m.merged", res.merged),
        ("import.m.customers_created", res.customers_created),
    ]
    cols = st.columns(len(figures))
    for col, (key, value) in zip(cols, figures, strict=True):
        with col:
            st.metric(t(key), f"{value:,}", border=True)
    if res.references_created:
        st.info(t("import.refs", what=references_text(res.references_created)))
    if res.preview is not None and len(res.preview):
        st.markdown(f"**{t('import.preview')}**")
        shown = mask_pii(res.preview, PREVIEW_PII)
        shown.columns = [t("import.col.row") if c == "row" else t(f"import.field.{c}") for c in shown.columns]
        st.dataframe(shown, hide_index=True, key="import_preview")
    st.markdown(f"**{t('import.report')}**")
    if res.issues.empty:
        st.caption(t("import.report.none"))
        return
    lang = language()
    st.dataframe(ir.report_frame(res.issues, lang), hide_index=True, key="import_report")
    left, right, _ = st.columns([1, 1, 3])
    with left:
        st.download_button(
            t("import.report.csv"),
            ir.report_csv(res.issues, lang),
            file_name=f"import-report-{file_key}.csv",
            mime=dl.mime(dl.CSV),
            key="import_report_csv",
            icon=":material/download:",
        )
    with right:
        st.download_button(
            t("import.report.xlsx"),
            ir.report_xlsx(res.issues, lang),
            file_name=f"import-report-{file_key}.xlsx",
            mime=dl.mime(dl.XLSX),
            key="import_report_xlsx",
            icon=":material/download:",
        )


def commit(engine: Engine, table: Table, mapping: Mapping, create: bool) -> ImportResult | None:
    """Import the valid rows with a progress bar; a failure says so (the transaction left nothing behind)."""
    bar = st.progress(0.0, text=t("import.progress", what="…"))

    def progress(fraction: float, what: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=t("import.progress", what=what))

    try:
        user = access.require("import_data")  # checked again when the import is carried out
        res = import_table(
            engine, table, mapping, only_valid=True, create_missing=create, progress=progress, actor=user.name
        )
    except SQLAlchemyError as exc:
        bar.empty()
        st.error(t("import.failed", detail=plain(" ".join(str(getattr(exc, "orig", exc)).split())[:300])))
        return None
    bar.empty()
    db.bump_data_version()
    return res


def done_message(res: ImportResult) -> str:
    msg = t(
        "import.done",
        kind=t(f"import.kind.{res.kind}"),
        inserted=f"{res.inserted:,}",
        updated=f"{res.updated:,}",
        unchanged=f"{res.unchanged:,}",
        skipped=f"{res.error_rows:,}",
        customers=f"{res.customers_created:,}",
    )
    if res.references_created:
        msg += "\n\n" + t("import.refs.done", what=references_text(res.references_created))
    return msg
