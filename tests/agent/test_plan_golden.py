"""Golden tests of the pure planner: golden/<case>/{current,desired,expected}.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lognet.agent.plan import plan

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def _load(case: str, name: str) -> object:
    return yaml.safe_load((GOLDEN / case / f"{name}.yaml").read_text())


@pytest.mark.parametrize("case", CASES)
def test_plan_matches_golden(case: str) -> None:
    current, desired = _load(case, "current"), _load(case, "desired")
    assert plan(current, desired) == _load(case, "expected")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES)
def test_applying_desired_again_is_a_noop(case: str) -> None:
    desired = _load(case, "desired")
    assert plan(desired, desired) == []  # type: ignore[arg-type]


def test_enough_golden_cases() -> None:
    assert len(CASES) >= 8
