"""Credit records (信用记录): the store with its version history, how a record is described to
each reader (``describe``), and the only writers of a record's dispute and repair marks."""
