"""A small sound scorecard over the shipped catalog, for the engine's tests."""

from __future__ import annotations

from typing import Any

SOUND: dict[str, Any] = {
    "id": "test_model",
    "name": "测试模型",
    "version": 1,
    "subject_kinds": ["enterprise"],
    "effective_from": "2026-01-01",
    "reference": "测试依据",
    "score": {"min": 0, "max": 100, "total": 100},
    "dimensions": [
        {
            "id": "law",
            "name": "遵纪守法",
            "weight": 60,
            "indicators": [
                {
                    "id": "penalties",
                    "name": "行政处罚",
                    "max_points": 40,
                    "reference": "行政处罚法",
                    "fact": {
                        "measure": "count",
                        "record_types": ["administrative_penalty"],
                        "polarity": ["失信"],
                        "where": "fine_amount >= 1",
                        "window_months": 36,
                    },
                    "points": {"kind": "per_occurrence", "each": -10},
                },
                {
                    "id": "fines",
                    "name": "罚款金额",
                    "max_points": 20,
                    "reference": "行政处罚法",
                    "fact": {
                        "measure": "sum",
                        "field": "fine_amount",
                        "record_types": ["administrative_penalty"],
                    },
                    "points": {
                        "kind": "bands",
                        "bands": [
                            {"lt": 1, "points": 20},
                            {"gte": 1, "lt": 10, "points": 10},
                            {"gte": 10, "points": 0},
                        ],
                    },
                },
            ],
        },
        {
            "id": "tax",
            "name": "纳税",
            "weight": 40,
            "indicators": [
                {
                    "id": "tax_grade",
                    "name": "纳税信用等级",
                    "max_points": 40,
                    "reference": "纳税信用管理办法",
                    "fact": {
                        "measure": "latest",
                        "field": "grade",
                        "record_types": ["tax_credit_rating"],
                    },
                    "points": {
                        "kind": "category_map",
                        "map": {"A": 40, "B": 30, "M": 20, "C": 10},
                        "default": 20,
                    },
                }
            ],
        },
    ],
    "bonus": [
        {
            "id": "honours",
            "name": "表彰奖励",
            "max_points": 5,
            "reference": "表彰",
            "fact": {"measure": "count", "record_types": ["commendation"], "window_months": 36},
            "points": {"kind": "per_occurrence", "each": 1, "start": "zero"},
        }
    ],
    "veto": [
        {
            "id": "no_serious",
            "name": "严重失信一票否决",
            "indicator": "penalties",
            "at_least": 1,
            "effect": {"cap": 59, "grade": "较差"},
            "reference": "一票否决",
        }
    ],
    "grades": [
        {"grade": "较差", "min": 0, "max": 60},
        {"grade": "中等", "min": 60, "max": 75},
        {"grade": "良好", "min": 75, "max": 90},
        {"grade": "优秀", "min": 90, "max": 100},
    ],
}
