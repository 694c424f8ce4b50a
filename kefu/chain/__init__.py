"""On-chain transaction lookups through each network's JSON-RPC (docs/subsystems/chain.md)."""
