"""The ID number's check character from digits that are not ASCII (issue 18): int() reads them,
and the check character is the one of the same number in ASCII digits."""

from __future__ import annotations

import pytest

from canpei.people.rules import id_check_char

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "first17,check",
    [("11010519491231002", "X"), ("35058219900307001", "6"), ("44052418800101001", "4")],
)
def test_the_check_character_of_full_width_digits_is_that_of_ascii_digits(first17, check):
    assert id_check_char(first17) == check
    assert id_check_char(first17.translate(FULL_WIDTH)) == check
