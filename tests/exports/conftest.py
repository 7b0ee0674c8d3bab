"""Fixtures of the exports tests."""
import pytest

from tests.exports.export_factories import make_household


@pytest.fixture
def household():
    return make_household()
