"""Writes for privacy: the retention policy and its enforcement (``retention``), legal holds
(``holds``), erasure requests and the erasure itself (``erasure``), and the customer's data
export (``export``, audited)."""
