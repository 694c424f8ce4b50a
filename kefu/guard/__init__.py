"""Secret guard: finds seed phrases, private keys, API secrets, passwords and 2FA codes in
messages before they are stored, and refuses staff messages that ask for them."""
