"""The rules engine every capability reuses: definitions as data, compiled for every engine.

* ``expression`` — the safe predicate grammar; ``predicate_sql`` / ``predicate_eval`` compile
  and evaluate it with the same answers.
* ``facts`` — a fact over a subject's records as of a date, as one select for one subject, some
  or all of them (scorecards, checks, lists; policies and inspection plans next).
* ``points`` — points rules (per occurrence, bands, category map) as definition and SQL.
* ``scorecard`` / ``loader`` / ``compiler`` / ``duck`` — a scorecard's tree, its loading
  against the catalog, its one select, and DuckDB for batch.
* ``cases`` — golden cases: facts in, named outputs out, judged the same for every rule set.

It reads records, subjects and the catalog and creates nothing (an import contract in
pyproject.toml holds it to that); the YAML of each rule set lives with its domain
(``scoring/definitions``, ``checks/definitions``, ``lists/definitions``).
"""
