"""Streamlit glue: cached data access, shared widgets, i18n. Pages import from here; core stays pure."""
