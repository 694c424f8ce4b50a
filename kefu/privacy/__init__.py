"""Data retention, and a customer's data export and erasure (with legal holds)."""
