"""Delivery of repair results to the credit platforms: an outbox, adapters and a worker."""
