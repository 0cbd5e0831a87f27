"""The command line (python -m core …): the entry point and one module per command group. The top layer."""
