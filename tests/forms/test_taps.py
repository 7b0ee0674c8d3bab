"""The taps figures in docs/forms.md stay true: the bench (bench/forms/bench_taps.py) re-run in the
ODK Web Forms engine gives the recorded numbers for every reference household and form, every fill
ends complete without a violation, and the issue-18 family stays within the target."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench.forms import bench_taps, reference  # noqa: E402
from forms import docs  # noqa: E402

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def measured(engine):
    return {(m.form, m.household): m for m in bench_taps.run()}


def test_recorded_figures_are_the_measured_ones(measured):
    got = tuple((m.form, m.household, m.answers, m.yes_no, m.shown, m.pages, m.swipes)
                for m in measured.values())
    assert sorted(got) == sorted(docs.TAPS_AFTER)
    assert "| `household_survey` now | 4 members (issue 18 family) |" in docs.DOC_PATH.read_text("utf-8")


def test_every_reference_fill_is_complete_and_valid(measured):
    assert {key: m.problems for key, m in measured.items() if m.problems} == {}


def test_issue_18_target_for_the_family_of_four(measured):
    m = measured[("household_survey", reference.REFERENCE)]
    assert m.answers <= 60 and m.swipes <= 30
    before = next(row for row in docs.TAPS_BEFORE if row[:2] == ("household_survey", reference.REFERENCE))
    assert m.answers < before[2] / 1.9 and m.swipes < before[6] / 5
