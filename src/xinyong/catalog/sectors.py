"""The sectors (领域) departments belong to and catalog record types come from.

The catalog owns the list: a record type names the sectors that may send it, and a department
is registered in one of them (``accounts`` reads it from here).
"""

from __future__ import annotations

from typing import Final

SECTORS: Final = frozenset(
    {
        "market_regulation",
        "food",
        "drug",
        "special_equipment",
        "work_safety",
        "fire",
        "environment",
        "tax",
        "court",
        "human_resources",
        "transport",
        "construction",
        "other",
    }
)
