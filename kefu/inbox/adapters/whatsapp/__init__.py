"""WhatsApp Business through the Cloud API: one phone number per deployment."""
