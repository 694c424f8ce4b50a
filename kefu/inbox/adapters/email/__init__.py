"""The email channel: parsing, threading and sending (adapter), and the transports that
bring mail in (a built-in SMTP receiver and IMAP polling). See docs/subsystems/channels.md."""
