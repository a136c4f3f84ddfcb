"""Training the matching model with Splink 5 on DuckDB, and Splink's own scores for checking the in-process ones.

Splink and DuckDB live in the ``train`` dependency group: this module imports them when called, so the API and
the ``c360`` command run without them. Training follows Splink's own recipe, unsupervised (no labels):

1. λ, the probability that two random records are one person, from deterministic rules (same name and full
   birth date; same national id), with their recall assumed;
2. u probabilities from random pairs (``estimate_u_using_random_sampling``);
3. m probabilities by expectation maximisation, once on pairs blocked by birth date and once on pairs blocked by
   both names, so that every comparison is estimated at least once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from graph_store.resolution.matching.comparisons import COMPARISONS
from graph_store.resolution.matching.features import SET_COLUMNS, TEXT_COLUMNS, prepare
from graph_store.resolution.matching.model import Model
from graph_store.resolution.matching.settings import UNIQUE_ID, LinkType, splink_settings

if TYPE_CHECKING:
    from splink import Linker
    from splink.internals.database_api import DatabaseAPISubClass
    from splink.internals.splink_dataframe import SplinkDataFrame

DETERMINISTIC_RULES = (
    'l."family" = r."family" AND l."given" = r."given" AND l."dob" = r."dob"',
    'l."national_id" = r."national_id"',
)
DETERMINISTIC_RECALL = 0.7
"""The share of true pairs the deterministic rules are assumed to find (typos and missing values lose some)."""
EM_BLOCKING_RULES = ('l."dob" = r."dob"', 'l."family" = r."family" AND l."given" = r."given"')
U_MAX_PAIRS = 2e6
SCHEMA = pa.schema(
    [(UNIQUE_ID, pa.string())]
    + [(name, pa.string()) for name in TEXT_COLUMNS]
    + [(name, pa.list_(pa.string())) for name in SET_COLUMNS]
)


def arrow_table(rows: Sequence[Mapping[str, Any]], ids: Sequence[str]) -> pa.Table:
    """Prepared rows as the table Splink reads: text columns as strings, set columns as sorted lists."""
    data: dict[str, list[Any]] = {UNIQUE_ID: list(ids)}
    for name in TEXT_COLUMNS:
        data[name] = [row[name] for row in rows]
    for name in SET_COLUMNS:
        data[name] = [sorted(row[name]) if row[name] else None for row in rows]
    return pa.table(data, schema=SCHEMA)


def _quiet_linker(tables: list[SplinkDataFrame], settings: dict[str, Any]) -> Linker:
    from splink import Linker

    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)


def train(
    datasets: Sequence[Sequence[Mapping[str, Any]]],
    *,
    version: int,
    link_type: LinkType = "dedupe_only",
    seed: int = 1,
    description: str = "",
) -> Model:
    """A model trained on records (plain mappings, as ``features.prepare`` reads them): one data set to
    deduplicate, or two to link (``link_only``)."""
    import splink
    from splink import DuckDBAPI

    db_api = DuckDBAPI()
    tables = []
    for n, records in enumerate(datasets):
        rows = [prepare(r) for r in records]
        tables.append(db_api.register(arrow_table(rows, [f"{n}-{i}" for i in range(len(rows))])))
    linker = _quiet_linker(tables, splink_settings(link_type))
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
    for rule in EM_BLOCKING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    saved = fill_unobserved(linker.misc.save_model_to_json())
    trained = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "splink": splink.__version__,
        "records": [len(records) for records in datasets],
        "link_type": link_type,
        "deterministic_rules": list(DETERMINISTIC_RULES),
        "deterministic_recall": DETERMINISTIC_RECALL,
        "em_blocking_rules": list(EM_BLOCKING_RULES),
        "u_max_pairs": U_MAX_PAIRS,
        "seed": seed,
        "description": description,
    }
    return Model.from_splink(saved, version, trained)


def fill_unobserved(saved: dict[str, Any]) -> dict[str, Any]:
    """Give a level the training data never reached (no phones in a data set, say) weight 0: m = u, from
    whichever of the two was estimated (``1.0`` when neither was; only their ratio is used), so such a level
    is neutral until a sample shows it."""
    for comparison in saved["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = (level.get(k) for k in ("m_probability", "u_probability"))
            usable = [v for v in (m, u) if isinstance(v, int | float)]
            if len(usable) < 2:
                level["m_probability"] = level["u_probability"] = usable[0] if usable else 1.0
    return saved


def splink_scores(
    model: Model, left: Sequence[Mapping[str, Any]], right: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Splink's own scores (``Linker.inference.score_pairs``) of every left record against every right record,
    from the same model: each row has ``unique_id_l`` (``l<i>``), ``unique_id_r`` (``r<j>``), ``match_weight``,
    ``match_probability`` and each comparison's ``gamma_<name>`` and ``bf_<name>``."""
    from splink import DuckDBAPI

    db_api: DatabaseAPISubClass = DuckDBAPI()
    left_table = db_api.register(arrow_table([prepare(r) for r in left], [f"l{i}" for i in range(len(left))]))
    right_table = db_api.register(
        arrow_table([prepare(r) for r in right], [f"r{j}" for j in range(len(right))])
    )
    linker = _quiet_linker([left_table], model.splink)
    frame = linker.inference.score_pairs(left_table, right_table)
    rows: list[dict[str, Any]] = frame.as_record_list()
    return rows


def gamma_levels() -> dict[str, dict[int, int]]:
    """Splink's comparison vector value (``gamma_<name>``) → the index of that level in the declaration: the null
    level is -1, then the levels count down from the first to the last (0)."""
    mapping: dict[str, dict[int, int]] = {}
    for comparison in COMPARISONS:
        count = len(comparison.levels)
        mapping[comparison.name] = {-1: 0} | {count - 1 - n: n for n in range(1, count)}
    return mapping
