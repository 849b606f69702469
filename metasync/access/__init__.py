"""Who may use the HTTP API and the dashboard: API keys and what each key may see and do."""
