"""The in-process scorer gives Splink's own scores: the same level in every comparison and the same match weight
and probability, for the repository's model and for a model whose every level carries weight."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from c360.matching.train import gamma_levels, splink_scores
from graph_store.resolution.matching import COMPARISONS, Model, Scorer, load_config
from graph_store.resolution.matching.settings import splink_settings

PEOPLE: list[dict[str, Any]] = [
    # One person written many ways: every level of every comparison is reached by some pair below.
    {
        "family_name": "张",
        "given_name": "伟",
        "birth_date": "1985-03-04",
        "gender": "male",
        "city": "北京市",
        "address": "北京市朝阳区建国路88号",
        "phone": ["+8613812345678"],
        "email": ["zw@qq.com"],
        "wechat_unionid": "oU_1",
        "wechat_openid": ["app1/o1"],
        "crm_id": "CRM1",
        "national_id": "110101198503041234",
        "postcode": "100020",
        "region": "北京",
        "address_2": "3栋1201室",
        "device_id": ["d-1"],
    },
    {
        "full_name": "Zhang Wei",
        "birth_date": "1985/4/3",
        "city": "Beijing",
        "phone": ["138 1234 5678"],
        "email": ["other@qq.com"],
        "wechat_openid": ["app2/o2"],
        "postcode": "100021",
        "national_id": "110101198503041243",
    },
    {
        "full_name": "張偉",
        "birth_date": "19850305",
        "gender": "female",
        "city": "Beijing City",
        "address": "朝阳区建国路８８号",
        "wechat_unionid": "oU_1",
        "crm_id": "CRM2",
        "device_id": ["d-2"],
        "address_2": "3栋1202室",
        "region": "Guangdong",
    },
    {
        "full_name": "章伟",
        "birth_date": "1985-03-20",
        "city": "上海",
        "address": "朝阳区建国路89号",
        "wechat_openid": ["app1/o9"],
        "crm_id": "CRM1",
        "postcode": "200000",
        "device_id": ["d-1"],
    },
    {
        "full_name": "王*",
        "birth_date": "1985-11-30",
        "city": "Shanghai",
        "address": "浦东新区世纪大道1号",
        "phone": ["13900000000"],
        "email": ["zw@qq.com"],
        "national_id": "999",
    },
    {"full_name": "*伟", "birth_date": "1985", "address": "朝阳区建国门外大街1号", "address_2": "b座"},
    {
        "family_name": "Smith",
        "given_name": "Jon",
        "birth_date": "1956-09-09",
        "address": "7 wallaby place",
        "city": "cleveland",
        "postcode": "2119",
        "region": "sa",
        "national_id": "1804974",
    },
    {
        "family_name": "Smyth",
        "given_name": "John",
        "birth_date": "19560909",
        "address": "7 wallaby pl",
        "city": "clevelend",
        "postcode": "2191",
        "region": "sa",
        "national_id": "1804947",
    },
    {
        "family_name": "Jon",
        "given_name": "Smith",
        "birth_date": "1956-09",
        "address": "17 wallaby pde",
        "city": "cleveland",
        "postcode": "2119",
        "region": "nsw",
        "gender": "m",
    },
    {
        "family_name": "Smithers",
        "given_name": "Joan",
        "birth_date": "1960-01-01",
        "address": "wallaby close",
        "city": "clevedon",
        "region": "vic",
    },
    {},  # nothing known: every comparison null
]


def random_model(seed: int) -> Model:
    """Splink settings with every level given random m and u: no level weighs 0, so a wrong level shows."""
    rng = random.Random(seed)
    settings = splink_settings(probability_two_random_records_match=0.0003)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"] = rng.uniform(0.001, 0.9)
                level["u_probability"] = rng.uniform(0.0001, 0.9)
    return Model.from_splink(settings, 1)


@pytest.mark.parametrize("model", [load_config().model, random_model(7)], ids=["model-v1", "random"])
def test_scores_equal_splinks(model: Model) -> None:
    expected = splink_scores(model, PEOPLE, PEOPLE)
    assert len(expected) == len(PEOPLE) ** 2
    pairs = [(int(row["unique_id_l"][1:]), int(row["unique_id_r"][1:])) for row in expected]
    scores = Scorer(model).score_records(PEOPLE, PEOPLE, pairs)
    gamma = gamma_levels()
    for c, comparison in enumerate(COMPARISONS):
        splink_levels = [gamma[comparison.name][row[f"gamma_{comparison.name}"]] for row in expected]
        assert scores.levels[:, c].tolist() == splink_levels, comparison.name
    np.testing.assert_allclose(
        scores.match_weight, [row["match_weight"] for row in expected], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        scores.probability, [row["match_probability"] for row in expected], rtol=1e-12, atol=1e-15
    )
    # Not vacuous: every level of every comparison occurs among these pairs.
    for c, comparison in enumerate(COMPARISONS):
        assert set(scores.levels[:, c].tolist()) == set(range(len(comparison.levels))), comparison.name


def test_scores_are_symmetric_and_explained() -> None:
    scorer = Scorer(random_model(11))
    n = len(PEOPLE)
    forward = scorer.score_records(PEOPLE, PEOPLE, [(i, j) for i in range(n) for j in range(n)])
    backward = scorer.score_records(PEOPLE, PEOPLE, [(j, i) for i in range(n) for j in range(n)])
    np.testing.assert_array_equal(forward.levels, backward.levels)
    assert forward.match_weight.tolist() == backward.match_weight.tolist()
    for pair in (1, 13, 50):
        parts = forward.explain(pair)
        assert [p.comparison for p in parts] == [c.name for c in COMPARISONS]
        assert forward.prior_weight + sum(p.weight for p in parts) == pytest.approx(
            forward.match_weight[pair]
        )
    nothing = forward.explain(n * n - 1)  # the empty record against itself
    assert {p.level for p in nothing} == {"null"}
    assert forward.match_weight[n * n - 1] == forward.prior_weight


def test_probability_is_stable_at_extreme_weights() -> None:
    scorer = Scorer(random_model(3))
    scores = scorer.score_records(PEOPLE[:1], PEOPLE[:1], [(0, 0)])
    assert 0.0 < scores.probability[0] <= 1.0
    object.__setattr__(scores, "match_weight", np.array([-3000.0, 0.0, 3000.0]))
    assert scores.probability.tolist() == [0.0, 0.5, 1.0]
