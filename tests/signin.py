"""Sign an AppTest session in, the way the login page does: a real account, a real session token."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.access import auth
from core.storage.db import open_database
from core.storage.models import User
from dashboard.access import TOKEN_KEY

PASSWORDS = {name: password for name, _role, _display, password in auth.DEMO_ACCOUNTS}


def sign_in(
    at: AppTest, url: str, role: str = "manager", *, name: str | None = None, advisor_id: int | None = None
) -> AppTest:
    """Log in as the demo account of ``role`` (or as ``name`` with that role), created first where it does not
    exist, and keep its token in the session, as pages/login.py does. Returns ``at``."""
    name = name or role
    password = PASSWORDS.get(name, f"{name}-password")
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.select(User.id).where(User.name == name)).first()
        if not exists:
            auth.create_user(
                engine, name=name, role=role, password=password, actor="test", advisor_id=advisor_id
            )
        at.session_state[TOKEN_KEY] = auth.login(engine, name=name, password=password)
    finally:
        engine.dispose()
    return at
