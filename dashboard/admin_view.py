"""The admin pages' tables as people read them: actions and fields in words, people by display name."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.i18n import TEXT, t

NONE = "—"


def person(name: object, display_names: dict[str, str]) -> str:
    """``王经理（manager）``: the display name with the login name, or the login name alone."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return NONE
    shown = display_names.get(str(name))
    return f"{shown}（{name}）" if shown and shown != name else str(name)


def _label(prefix: str, code: object) -> str:
    key = f"{prefix}.{code}"
    return t(key) if key in TEXT else str(code)


def _value(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return t("audit.yes") if value else t("audit.no")
    if isinstance(value, dict):
        return "，".join(f"{_label('audit.key', k)} {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value)
    return str(value)


def detail_text(detail: Any) -> str:
    """An entry's detail as ``版本: 2 · 客户数: 68``, fields named in the page's language; no raw dicts."""
    if detail is None:
        return ""
    if not isinstance(detail, dict):
        return str(detail)
    return " · ".join(f"{_label('audit.key', k)}: {_value(v)}" for k, v in detail.items())


def audit_frame(entries: pd.DataFrame, display_names: dict[str, str]) -> pd.DataFrame:
    """The audit log as shown and downloaded: action and object type in words, actor by display name."""
    shown = entries.assign(
        actor=entries["actor"].map(lambda a: person(a, display_names)),
        action=entries["action"].map(lambda a: _label("audit.act", a)),
        object_type=entries["object_type"].map(lambda o: NONE if o is None else _label("audit.obj", o)),
        object_id=entries["object_id"].map(lambda o: NONE if o is None else str(o)),
        detail=entries["detail"].map(detail_text),
    )
    return shown.rename(columns={c: t(f"audit.col.{c}") for c in shown.columns})


def users_frame(accounts: pd.DataFrame, advisor_names: dict[int, str]) -> pd.DataFrame:
    """The accounts table: roles in words, the advisor by name, yes/no, never/not locked instead of None."""

    def when(value: object, empty: str) -> str:
        return empty if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")

    def advisor(value: object) -> str:
        if value is None or pd.isna(value):
            return NONE
        return f"{advisor_names.get(int(value), '')} #{int(value)}".strip()

    shown = pd.DataFrame(
        {
            "name": accounts["name"],
            "display_name": accounts["display_name"].map(lambda v: NONE if v is None or pd.isna(v) else v),
            "role": accounts["role"].map(lambda r: t(f"role.{r}")),
            "advisor": accounts["advisor_id"].map(advisor),
            "active": accounts["active"].map(lambda v: t("audit.yes") if v else t("audit.no")),
            "failed_logins": accounts["failed_logins"].fillna(0).astype(int),
            "locked_until": accounts["locked_until"].map(lambda v: when(v, t("users.not_locked"))),
            "created_at": accounts["created_at"].map(lambda v: when(v, NONE)),
            "last_login_at": accounts["last_login_at"].map(lambda v: when(v, t("users.never"))),
        }
    )
    return shown.rename(columns={c: t(f"users.col.{c}") for c in shown.columns})
