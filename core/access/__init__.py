"""Access: accounts and roles, sign-in sessions and throttling, the audit log, masking of personal data.
Imports only core.storage.
"""
