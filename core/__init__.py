"""车商客户分级看板 — the domain layer: models, settings, data access, scoring, analytics. No Streamlit here."""
