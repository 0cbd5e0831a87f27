"""Scoring: schemes (weights, cut-offs, triggers), features from the event tables, the scoring lab, weight
suggestions, and publishing a scheme version. Imports core.io, core.access and core.storage.
"""
