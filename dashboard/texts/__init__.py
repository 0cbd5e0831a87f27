"""Per-page text tables (zh, en), merged into dashboard.i18n.TEXT; one module per page keeps edits apart."""
