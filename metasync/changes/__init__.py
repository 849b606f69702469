"""Write-back: changing campaigns, ad sets and ads in Meta, checked, conflict-free, audited and read back.

`fields` (what can change, and how values are read), `validate` (the refusals), `budget_rule` (Meta's hourly
limit on ad-set budget changes), `submit` (requests into change documents), `intake` (changes waiting in the
database), `apply` (the one path that sends them). Only cli/, ops/ and tasks/ import this package.
"""
