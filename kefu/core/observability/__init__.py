"""Observability: request/job ids carried into every log record, JSON logs, Prometheus metrics.

See docs/subsystems/production.md. ``core`` imports no other app, so every app may use these.
"""
