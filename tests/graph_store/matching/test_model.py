"""The model artefact: the repository's loads, one trained on other comparisons is refused, thresholds decide."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from c360.cli import cli
from graph_store.resolution.matching import Decision, Model, Thresholds, load_config
from graph_store.resolution.matching.model import DEFAULT_CONFIG, ModelError


def test_the_repository_model_matches_the_declared_comparisons() -> None:
    config = load_config()
    assert config.model_path.name == f"model-v{config.model.version}.json"
    assert config.thresholds.review_at < config.thresholds.merge_at
    assert config.model.trained["splink"].startswith("5.")
    phone = dict(
        zip(
            [c["output_column_name"] for c in config.model.splink["comparisons"]],
            config.model.levels,
            strict=True,
        )
    )["phone"]
    assert phone[1].label == "shared"
    assert phone[1].weight > 5  # a shared phone is evidence, a different one mild evidence against
    assert phone[2].weight < 0


def test_a_model_of_other_comparisons_is_refused() -> None:
    model = load_config().model
    changed = copy.deepcopy(model.splink)
    changed["comparisons"][2]["comparison_levels"][1]["sql_condition"] = '"dob_ym_l" = "dob_ym_r"'
    with pytest.raises(ModelError, match=r"birth_date level 1 \(exact\): the model.s condition"):
        Model.from_splink(changed, 2)
    fewer = copy.deepcopy(model.splink)
    del fewer["comparisons"][-1]
    with pytest.raises(ModelError, match="not the declared ones"):
        Model.from_splink(fewer, 2)
    untrained = copy.deepcopy(model.splink)
    del untrained["comparisons"][0]["comparison_levels"][1]["m_probability"]
    with pytest.raises(ModelError, match="no trained m or u"):
        Model.from_splink(untrained, 2)


def test_an_artefact_round_trips_and_checks_its_envelope(tmp_path: Path) -> None:
    model = load_config().model
    again = Model.from_json(model.to_json())
    assert again.levels == model.levels
    assert again.version == model.version
    with pytest.raises(ModelError, match="format"):
        Model.from_json(orjson.dumps({"version": 1}))
    with pytest.raises(ModelError, match="version"):
        Model.from_json(orjson.dumps({"format": "customer360.matching-model", "version": 0}))
    broken = tmp_path / "matching.toml"
    broken.write_text('model = "model-v1.json"\n[thresholds]\nmerge_at = 1.0\nreview_at = 3.0\n')
    with pytest.raises(ModelError, match="must not exceed"):
        load_config(broken)


def test_thresholds_decide_merge_review_or_nothing() -> None:
    thresholds = Thresholds(merge_at=6.0, review_at=2.0)
    decided = thresholds.decide(np.array([-4.0, 1.99, 2.0, 5.99, 6.0, 30.0]))
    assert decided.tolist() == [
        Decision.NONE,
        Decision.NONE,
        Decision.REVIEW,
        Decision.REVIEW,
        Decision.MERGE,
        Decision.MERGE,
    ]


def test_training_writes_an_artefact_the_scorer_loads(tmp_path: Path) -> None:
    """`c360 matching train` on a small sample: Splink trains, the artefact loads, its weights make sense."""
    import random

    rng = random.Random(5)
    lines = []
    for person in range(300):
        phone = f"139{person:08d}"
        name = f"{rng.choice('王李张刘陈杨黄赵')}{rng.choice(['伟', '芳', '娜', '敏', '静', '子涵', '浩宇'])}"
        born = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        for copy_ in range(rng.choice([1, 2, 3])):
            record = {"full_name": name, "birth_date": born if rng.random() < 0.8 else None, "phone": [phone]}
            if copy_ and rng.random() < 0.3:
                record["full_name"] = name[0] + "*"
            lines.append(orjson.dumps(record))
    sample = tmp_path / "sample.jsonl"
    sample.write_bytes(b"\n".join(lines))
    out = tmp_path / "model-v9.json"
    result = CliRunner().invoke(
        cli, ["matching", "train", "--input", str(sample), "--out", str(out), "--version", "9"]
    )
    assert result.exit_code == 0, result.output
    model = Model.load(out)
    assert model.version == 9
    assert model.trained["records"] == [len(lines)]
    by_name = dict(
        zip([c["output_column_name"] for c in model.splink["comparisons"]], model.levels, strict=True)
    )
    assert by_name["birth_date"][1].weight > 0 > by_name["birth_date"][-1].weight
    assert by_name["phone"][1].weight > 0
    shown = CliRunner().invoke(cli, ["matching", "show", "--config", str(DEFAULT_CONFIG)])
    assert shown.exit_code == 0, shown.output
    assert "merge at match weight" in shown.output
