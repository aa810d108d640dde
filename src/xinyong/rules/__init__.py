"""The definitions engine: scorecards and predicates as data, compiled for every engine."""
