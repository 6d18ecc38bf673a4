# The training fixtures live in tests/training/fixtures.py, loaded for the whole suite by the root
# conftest (pages, API and import tests use them too); re-exported here for older imports.
from tests.training.fixtures import ANHAI, CIZAO, class_data

__all__ = ["ANHAI", "CIZAO", "class_data"]
