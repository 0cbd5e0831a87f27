"""车商客户分级看板 — the domain layer. No Streamlit here.

Domain packages, top to bottom; a package imports only the ones below it (checked by import-linter, the
contract is in pyproject.toml):

    cli        the command line: python -m core …
    demo       the generated demo data and its tier history
    workflow | analytics
               workflow: the weekly review, overrides, defeat approval, the customer 360 (people act);
               analytics: facts and the figures of each analysis page (people look). Neither imports the other.
    scoring    schemes, features, the lab, suggestions, publishing a scheme version
    io         importing files, exports
    access     accounts, sessions, sign-in throttling, audit log, masking personal data
    storage    settings, the database, its models, migrations and bulk writes
"""
