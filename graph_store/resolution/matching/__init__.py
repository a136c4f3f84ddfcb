"""Probabilistic record matching (Fellegi-Sunter), pure: no database, no network.

Records (plain mappings of attributes and identifiers) are prepared into comparison columns (``features``:
names, birth dates, places, identifiers normalised), compared by the levels declared once in ``comparisons``,
weighed with a model Splink trained (``model``: a versioned artefact under ``config/matching/``) and scored in
process (``scorer``); ``blocking`` gives the keys that find a record's candidates.
"""

from graph_store.resolution.matching.blocking import blocking_keys
from graph_store.resolution.matching.comparisons import COMPARISONS
from graph_store.resolution.matching.features import Prepared, prepare
from graph_store.resolution.matching.model import Decision, MatchingConfig, Model, Thresholds, load_config
from graph_store.resolution.matching.scorer import Contribution, Scorer, Scores

__all__ = [
    "COMPARISONS",
    "Contribution",
    "Decision",
    "MatchingConfig",
    "Model",
    "Prepared",
    "Scorer",
    "Scores",
    "Thresholds",
    "blocking_keys",
    "load_config",
    "prepare",
]
