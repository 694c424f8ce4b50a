"""The exchange connector: the customer's account, fund records and security events from the
exchange's back office, and the actions support may take there (docs/subsystems/exchange.md)."""
