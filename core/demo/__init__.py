"""The demo: generated dealership data (reference lists, customers, leads, purchases, …) and its tier
history. Imports everything below it, nothing from core.cli.main.
"""
