"""Splink's settings built from the declared comparisons, so training and in-process scoring read one list.

Pure data: building them needs no Splink; the training command hands them to Splink's ``Linker``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from graph_store.resolution.matching.comparisons import COMPARISONS, Comparison

UNIQUE_ID = "unique_id"
LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]


def comparison_settings(comparison: Comparison) -> dict[str, Any]:
    return {
        "output_column_name": comparison.name,
        "comparison_description": comparison.description,
        "comparison_levels": [
            {
                "sql_condition": level.sql(),
                "label_for_charts": level.label,
                **({"is_null_level": True} if level.null else {}),
            }
            for level in comparison.levels
        ],
    }


def splink_settings(
    link_type: LinkType = "dedupe_only",
    *,
    blocking_rules: Sequence[str] = (),
    probability_two_random_records_match: float = 1e-4,
    comparisons: Sequence[Comparison] = COMPARISONS,
) -> dict[str, Any]:
    """A Splink settings dictionary (untrained: Splink fills in m and u)."""
    return {
        "link_type": link_type,
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": probability_two_random_records_match,
        "blocking_rules_to_generate_predictions": list(blocking_rules),
        "comparisons": [comparison_settings(c) for c in comparisons],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }
