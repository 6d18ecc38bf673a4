"""How an ID number is shown to whoever may not see it in full: a low module, so that the
registry (people) and the import reports (spreadsheets) mask alike without one importing the
other."""

from __future__ import annotations


def mask_id_number(number: str) -> str:
    """`350582********123X`: the address code and the last four, as on a printed list."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
