"""Graph API access: `client` (HTTP calls, paging, retries), `errors` (typed errors), `usage` (usage headers).

Import from the submodules; this package imports nothing, so `ratelimit` can use the errors without a cycle.
"""
