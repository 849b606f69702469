"""metasync keeps a MongoDB database in sync with Meta Ads: campaigns, ad sets, ads and daily performance.

`celery -A metasync ...` finds the Celery app in `metasync.celery`; it is not imported here so the CLI starts fast.
"""

__version__ = "0.1.0"
