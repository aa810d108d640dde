"""The scorecards shipped with the platform (``scoring/definitions/*.yaml``) and their cases.

Published versions live in the database (``scoring.lifecycle``); these files are what a fresh
installation starts from and what ``xinyong models test`` checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from xinyong.catalog.loader import Catalog
from xinyong.rules.loader import LoadedScorecard, load_directory

DEFINITIONS_DIR: Final = Path(__file__).parent / "definitions"
# Each file holds the cases of one model (format: ``scoring.cases``).
CASES_DIR: Final = DEFINITIONS_DIR / "cases"


def load_all(catalog: Catalog) -> dict[str, LoadedScorecard]:
    """Every shipped model by id (the latest version of each), checked against ``catalog``."""
    return load_directory(catalog, DEFINITIONS_DIR)
