"""The app's pages: short scripts that read the filters, call core through dashboard, and draw. Loaded by file path
from dashboard/app.py (st.Page); this file only makes the folder a package for the import contract."""
