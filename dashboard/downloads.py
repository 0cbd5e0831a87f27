"""Download addresses no other session can guess.

Streamlit serves a download button's file at ``/media/<id>`` to anyone holding the address while any session
holds the file, and the id is a hash of the bytes, the MIME type and the file name: identical tables downloaded
in two sessions share one address, which anyone who has seen the table could compute. Adding a random
per-session parameter to the MIME type (``text/csv; s=<32 hex>``; browsers ignore unknown parameters) makes
the id differ per session and unguessable without changing the file or its name.
"""

from __future__ import annotations

import secrets

import streamlit as st

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_KEY = "_download_secret"


def mime(kind: str) -> str:
    """``kind`` with this session's random parameter, for ``st.download_button(mime=...)``."""
    secret = st.session_state.get(_KEY)
    if not secret:
        secret = st.session_state[_KEY] = secrets.token_hex(16)
    return f"{kind}; s={secret}"
