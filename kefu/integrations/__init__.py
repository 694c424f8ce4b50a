"""Outbound webhooks for integrators: signed event deliveries with bounded retries."""
