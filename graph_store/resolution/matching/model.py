"""The trained model artefact and the thresholds that turn its match weight into a decision.

An artefact (``config/matching/model-v<N>.json``) wraps the model Splink saves after training (its settings with
every level's m and u probability) with a version number and how it was trained. Loading it checks that each
comparison and level, with its SQL condition, is the one declared in ``comparisons.py``: a model trained on other
comparisons is refused, since its weights would mean something else. Weights follow Splink exactly: a level's
weight is log2(m / u) (both floored at 1e-300, a level never observed in training at 1e-6, a null level 0), and a
pair's match weight is log2(λ / (1 - λ)) plus its levels' weights, λ being the probability that two records drawn
at random are one person.

``config/matching/matching.toml`` names the artefact in use and the thresholds: at or above ``merge_at`` the
records are one person, from ``review_at`` up to it a data steward decides, below ``review_at`` nothing happens,
and below ``conflict_below`` the pair is evidence of two people (``decide`` never joins their clusters).
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from graph_store.resolution.matching.comparisons import COMPARISONS, Comparison

FORMAT = "customer360.matching-model"
CONFIG_DIR = Path(__file__).resolve().parents[3] / "config" / "matching"
DEFAULT_CONFIG = CONFIG_DIR / "matching.toml"
NOT_OBSERVED = "level not observed in training dataset"
"""What Splink writes for a level no pair reached in training; it reads it as 1e-6."""
CLAMP = 1e-300


class ModelError(ValueError):
    """An artefact or configuration that cannot be used, naming what is wrong."""


def probability_to_weight(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def _probability(value: Any, where: str) -> float:
    if value == NOT_OBSERVED:
        return 1e-6
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ModelError(f"{where}: expected a probability, found {value!r}")
    return float(value)


@dataclass(frozen=True)
class LevelParameters:
    label: str
    m: float | None
    """None on a null level."""
    u: float | None
    weight: float


@dataclass(frozen=True)
class Model:
    version: int
    probability_two_random_records_match: float
    levels: tuple[tuple[LevelParameters, ...], ...]
    """Per comparison (in the order of ``COMPARISONS``), per level."""
    trained: dict[str, Any]
    splink: dict[str, Any]
    """The Splink model as saved, for Splink itself to load."""

    @property
    def prior_weight(self) -> float:
        return probability_to_weight(self.probability_two_random_records_match)

    def weight_table(self) -> npt.NDArray[np.float64]:
        """Level weights as a (comparisons by most levels) table, padded with zeros."""
        widest = max(len(levels) for levels in self.levels)
        table = np.zeros((len(self.levels), widest), dtype=np.float64)
        for c, levels in enumerate(self.levels):
            table[c, : len(levels)] = [level.weight for level in levels]
        return table

    @staticmethod
    def from_splink(
        splink: dict[str, Any],
        version: int,
        trained: dict[str, Any] | None = None,
        comparisons: tuple[Comparison, ...] = COMPARISONS,
    ) -> Model:
        """Check a Splink model against the declared comparisons and read its parameters."""
        found = splink.get("comparisons")
        if not isinstance(found, list):
            raise ModelError("the Splink model has no comparisons")
        names = [c.get("output_column_name") for c in found]
        if names != [c.name for c in comparisons]:
            raise ModelError(
                f"the model's comparisons {names} are not the declared ones {[c.name for c in comparisons]}"
            )
        levels: list[tuple[LevelParameters, ...]] = []
        for declared, saved in zip(comparisons, found, strict=True):
            saved_levels = saved.get("comparison_levels", [])
            if len(saved_levels) != len(declared.levels):
                raise ModelError(
                    f"{declared.name}: the model has {len(saved_levels)} levels, "
                    f"the declaration {len(declared.levels)}"
                )
            parameters = []
            for n, (level, stored) in enumerate(zip(declared.levels, saved_levels, strict=True)):
                where = f"{declared.name} level {n} ({level.label})"
                if stored.get("sql_condition") != level.sql():
                    raise ModelError(
                        f"{where}: the model's condition {stored.get('sql_condition')!r} is not the declared {level.sql()!r}"
                    )
                if bool(stored.get("is_null_level", False)) != level.null:
                    raise ModelError(f"{where}: null level in one and not the other")
                if level.null:
                    parameters.append(LevelParameters(level.label, None, None, 0.0))
                    continue
                if "m_probability" not in stored or "u_probability" not in stored:
                    raise ModelError(f"{where}: the model has no trained m or u probability")
                m = _probability(stored["m_probability"], f"{where} m")
                u = _probability(stored["u_probability"], f"{where} u")
                parameters.append(
                    LevelParameters(level.label, m, u, math.log2(max(m, CLAMP) / max(u, CLAMP)))
                )
            levels.append(tuple(parameters))
        prior = _probability(
            splink.get("probability_two_random_records_match"), "probability_two_random_records_match"
        )
        if not 0 < prior < 1:
            raise ModelError("probability_two_random_records_match must be strictly between 0 and 1")
        return Model(version, prior, tuple(levels), trained or {}, splink)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {"format": FORMAT, "version": self.version, "trained": self.trained, "splink_model": self.splink},
            option=orjson.OPT_INDENT_2,
        )

    @staticmethod
    def from_json(data: bytes | str) -> Model:
        document = orjson.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ModelError(f"not a matching model artefact (format {FORMAT!r} expected)")
        version = document.get("version")
        if not isinstance(version, int) or version < 1:
            raise ModelError(f"version must be a whole number from 1, found {version!r}")
        return Model.from_splink(document.get("splink_model") or {}, version, document.get("trained") or {})

    @staticmethod
    def load(path: Path) -> Model:
        try:
            return Model.from_json(path.read_bytes())
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from None


class Decision(IntEnum):
    NONE = 0
    REVIEW = 1
    MERGE = 2


@dataclass(frozen=True)
class Thresholds:
    merge_at: float
    """Match weight at or above which two records are one person."""
    review_at: float
    """Match weight from which (below ``merge_at``) a steward decides."""
    conflict_below: float = -5.0
    """Match weight below which two records are evidence of two people: their clusters never join."""
    identifiers_against_below: float = -4.0
    """A shared identifier yields when its pair's personal comparisons' weights (names, birth date, gender) sum
    below this."""

    def __post_init__(self) -> None:
        if not self.review_at <= self.merge_at:
            raise ModelError(f"review_at ({self.review_at}) must not exceed merge_at ({self.merge_at})")
        if not self.conflict_below <= self.review_at:
            raise ModelError(
                f"conflict_below ({self.conflict_below}) must not exceed review_at ({self.review_at})"
            )

    def decide(self, match_weight: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
        decisions = np.full(match_weight.shape, Decision.NONE, dtype=np.int8)
        decisions[match_weight >= self.review_at] = Decision.REVIEW
        decisions[match_weight >= self.merge_at] = Decision.MERGE
        return decisions


@dataclass(frozen=True)
class MatchingConfig:
    model: Model
    thresholds: Thresholds
    model_path: Path


@functools.cache
def config_at(path: Path) -> MatchingConfig:
    """The matching configuration of a file, read once per process."""
    return load_config(path)


def load_config(path: Path = DEFAULT_CONFIG) -> MatchingConfig:
    """The model and thresholds named by a matching configuration file (paths relative to the file)."""
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"{path}: {exc}") from None
    try:
        model_path = path.parent / str(document["model"])
        section = document["thresholds"]
        thresholds = Thresholds(
            float(section["merge_at"]),
            float(section["review_at"]),
            float(section.get("conflict_below", Thresholds.conflict_below)),
            float(section.get("identifiers_against_below", Thresholds.identifiers_against_below)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: missing or malformed {exc}") from None
    return MatchingConfig(Model.load(model_path), thresholds, model_path)
