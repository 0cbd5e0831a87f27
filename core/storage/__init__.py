"""Storage: settings (where the database is), opening it, the SQLAlchemy models, Alembic migrations and bulk
writes. The bottom layer: imports nothing else from core.
"""
