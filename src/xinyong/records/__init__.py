"""Credit records (信用记录) with version history, and the credit file (信用档案) built from them."""
