"""In and out: importing customers' files (CSV, Excel) and writing exports (CSV, Excel).
Imports core.access and core.storage.
"""
