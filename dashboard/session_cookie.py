"""The sign-in cookie: a refresh or a new tab of the same browser stays signed in.

The browser keeps the session's random token in a cookie; the database keeps only its SHA-256 (core.access.auth), and
every run checks it there (idle timeout, absolute lifetime, sign-out, disabled account, role change).

- Written by Streamlit's own ``st.html(..., unsafe_allow_javascript=True)``: a script in the page (no iframe,
  no extra package) sets ``document.cookie`` with ``Path=/``, ``SameSite=Strict`` and ``Secure`` when the page
  came over https, and no expiry, so the cookie ends with the browser session. ``st.components.v2`` would do
  the same, but in Streamlit 1.67 its widget state cannot be pickled, which this app's
  ``runner.enforceSerializableSessionState`` requires (UnserializableSessionStateError on every run). JavaScript cannot set ``HttpOnly``, so script running in
  the page could read it: the app never renders data as HTML, and the token dies with the server session.
  The script holds only the token, as JSON, after checking it has the shape core.access.auth makes.
- Read from ``st.context.cookies`` (what the browser sent when the Streamlit session connected), once per
  Streamlit session: after a sign-out in this session the old value is still in that snapshot and must not be
  taken up again.
- Sign-out (or a session found ended) clears it, but only while it still holds that token: another tab may have
  signed in since and set a new one.
"""

from __future__ import annotations

import json

import streamlit as st

from core.access import auth

COOKIE = "dealer_tiering_session"
READ_KEY = "auth_cookie_read"  # session state: the cookie was consulted in this Streamlit session
FORGET_KEY = "auth_cookie_forget"  # session state: a token whose cookie should be cleared

_SCRIPT = """<script>
(() => {
  const data = %s;
  const prefix = data.name + "=";
  const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
  const current = found === undefined ? null : found.slice(prefix.length);
  const attrs = "; Path=/; SameSite=Strict" + (window.location.protocol === "https:" ? "; Secure" : "");
  if (data.set && current !== data.set) {
    document.cookie = prefix + data.set + attrs;
  } else if (data.clear && current === data.clear) {
    document.cookie = prefix + attrs + "; Max-Age=0";
  }
})();
</script>"""


def token_from_browser() -> str | None:
    """The token the browser sent in the cookie, the first time this is asked in a Streamlit session; else None."""
    if st.session_state.get(READ_KEY):
        return None
    st.session_state[READ_KEY] = True
    value = _sent_cookies().get(COOKIE)
    return str(value) if value else None


def _sent_cookies() -> dict[str, str]:
    # a function of its own: AppTest cannot send cookies, so its tests replace this
    return dict(st.context.cookies)


def keep(token: str) -> None:
    """Have the browser hold ``token`` (a signed-in run); idempotent, so every run may call it."""
    st.session_state.pop(FORGET_KEY, None)
    _mount({"name": COOKIE, "set": token})


def forget(token: str) -> None:
    """Clear the cookie on this run and the next ones, while it still holds ``token`` (sign-out, ended session)."""
    st.session_state[FORGET_KEY] = token


def clear_pending() -> None:
    """On a signed-out run: clear a cookie that :func:`forget` asked to clear."""
    token = st.session_state.get(FORGET_KEY)
    if token:
        _mount({"name": COOKIE, "clear": token})


def _mount(data: dict[str, str]) -> None:
    token = data.get("set") or data.get("clear") or ""
    if not auth.TOKEN_PATTERN.fullmatch(token):  # nothing but a token of ours goes into the page
        return
    with st.sidebar:
        st.html(_SCRIPT % json.dumps(data), unsafe_allow_javascript=True)
