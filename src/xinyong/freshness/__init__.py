"""Marks of subjects whose stored results (grades) are out of date, and the only writer of them."""
