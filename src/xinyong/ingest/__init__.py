"""Ingestion (归集) of records by file and API: validation, idempotency, quarantine, quality."""
