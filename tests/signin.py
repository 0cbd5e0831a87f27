"""Sign an AppTest session in, the way the login page does: a real account, a real session token."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core import auth
from core.db import open_database
from core.models import User
from dashboard.access import TOKEN_KEY

PASSWORDS = {name: password for name, _role, _display, password in auth.DEMO_ACCOUNTS}


def sign_in(at: AppTest, url: str, role: str = "manager") -> AppTest:
    """Log in as the demo account of ``role`` (created first on a database that has none) and keep its token in
    the session, as pages/login.py does. Returns ``at``."""
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.select(User.id).where(User.name == role)).first()
        if not exists:
            auth.create_user(engine, name=role, role=role, password=PASSWORDS[role], actor="test")
        at.session_state[TOKEN_KEY] = auth.login(engine, name=role, password=PASSWORDS[role])
    finally:
        engine.dispose()
    return at
