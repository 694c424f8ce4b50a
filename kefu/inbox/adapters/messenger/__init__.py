"""Facebook Messenger: a Page's conversations through Meta's webhook and the Send API."""
