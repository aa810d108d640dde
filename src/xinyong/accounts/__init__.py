"""Accounts: departments, users, API keys, bearer tokens and the request principal (C18)."""
