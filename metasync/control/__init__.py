"""The control plane's own logic (what the HTTP API, the dashboard and the metrics share): starting runs on request
and reading the service's state. Imported by `webhooks/` (the web app) and `cli/`; imports `ops/` and below."""
