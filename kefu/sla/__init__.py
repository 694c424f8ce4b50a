"""Business calendars (service hours); SLA policies and timers will join them here."""
