"""Subjects (信用主体) of five kinds, identified by USCC or by the keyed hash of an ID number."""
