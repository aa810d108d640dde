"""Domain-free helpers: identifiers, masking, clock and working days, money, paging."""
