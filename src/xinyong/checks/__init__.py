"""Credit checks (信用核查) embedded in approvals: measures catalog, decisions, feedback, statistics."""
