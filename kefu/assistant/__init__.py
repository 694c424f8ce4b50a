"""The 24/7 assistant. Understanding: language detection and intent classification of customer
messages with a small linear model trained on the shipped data (docs/subsystems/assistant.md)."""
