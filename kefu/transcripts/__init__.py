"""Signed conversation transcripts (PDF and JSON) that customers can keep as evidence."""
