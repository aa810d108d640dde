"""Credit objections (信用异议): flag at once, decide within working-day limits."""
