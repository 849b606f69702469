"""Connections to ad accounts: registry, tokens, credential checks, account details."""
