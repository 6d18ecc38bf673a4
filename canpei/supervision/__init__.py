"""Supervision (培训监管): alerts computed from the records by the rules of `rules.py`, kept in
a table by a background job (`compute.py`) and decided at the alert desk (`services.py`)."""
