"""Audit: the append-only, hash-chained log of every change and every read of non-public data."""
