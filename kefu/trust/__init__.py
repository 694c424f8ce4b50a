"""Official-channel registry and check ("is this really you?"), and staff verification phrases."""
