"""Meta webhook deliveries as both sides need them: the web app claims and publishes them, workers release them.

ROUTE_TASK is the Celery task the web app publishes, by name, for each changed object: the web app needs only the
broker, never the task modules.
"""

ROUTE_TASK = "route_ad_account_change"
