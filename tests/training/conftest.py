# The training fixtures live in tests/training/fixtures.py, loaded for the whole suite by the root
# conftest (pages, API and import tests use them too); re-exported here for modules that import
# them by name.
from tests.training.fixtures import (
    ANHAI,
    CIZAO,
    class_data,
    designated,
    make_class,
    trainee_factory,
)

__all__ = ["ANHAI", "CIZAO", "class_data", "designated", "make_class", "trainee_factory"]
