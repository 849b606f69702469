"""Reports: named insights specs (level, fields, breakdowns, action breakdowns, attribution windows) pulled into
`insights_breakdowns` through the daily snapshots' fetcher, lifecycle and writer; built-in presets and schedules."""
