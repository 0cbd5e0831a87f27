"""Who is signed in, checked against the database on every run; the guard every page and action calls.

Only the session's random token lives in session state (and in the browser's sign-in cookie, so a refresh or a
new tab stays signed in: dashboard.session_cookie). The user and the role are read from the database each time
(core.access.auth.current_user), so nothing else a session puts in its state or URL changes what it may do.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core.access import auth
from dashboard import session_cookie
from dashboard.i18n import t

TOKEN_KEY = "auth_token"


def current_user(engine: Engine) -> auth.CurrentUser | None:
    """The signed-in user, or None; an ended or expired session is dropped with a note for the login page.

    A new Streamlit session (a refresh, a new tab) takes the token from the browser's sign-in cookie once.
    """
    token = st.session_state.get(TOKEN_KEY) or session_cookie.token_from_browser()
    if not token:
        return None
    user = auth.current_user(engine, str(token))
    if user is None:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state["auth_expired"] = True
        session_cookie.forget(str(token))
    else:
        st.session_state[TOKEN_KEY] = token
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
    """End the session in the database and clear the browser's sign-in cookie."""
    token = st.session_state.pop(TOKEN_KEY, None)
    auth.logout(engine, token)
    if token:
        session_cookie.forget(str(token))
