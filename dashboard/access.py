"""Who is signed in, checked against the database on every run; the guard every page and action calls.

Only the session's random token lives in session state. The user and the role are read from the database each
time (core.auth.current_user), so nothing else a session puts in its state or URL changes what it may do.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core import auth
from dashboard.i18n import t

TOKEN_KEY = "auth_token"


def current_user(engine: Engine) -> auth.CurrentUser | None:
    """The signed-in user, or None; an ended or expired session is dropped with a note for the login page."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    user = auth.current_user(engine, str(token))
    if user is None:
        del st.session_state[TOKEN_KEY]
        st.session_state["auth_expired"] = True
    return user


def require(permission: str) -> auth.CurrentUser:
    """The user of this page if their role allows ``permission``; otherwise a clear message and the page stops."""
    from dashboard import db

    user = current_user(db.get_engine())
    if user is None:
        st.warning(t("auth.signin_needed"))
        st.stop()
    if not user.can(permission):
        st.error(t("auth.forbidden", role=t(f"role.{user.role}")))
        st.stop()
    return user


def allowed(user: auth.CurrentUser | None, permission: str) -> bool:
    return user is not None and user.can(permission)


def sign_out(engine: Engine) -> None:
    auth.logout(engine, st.session_state.pop(TOKEN_KEY, None))
