"""Equivalent mutants: mutmut's changes to the rule modules that nothing a user or the database
could see tells apart from the original, one line each saying why. `make mutate` sets them aside
in its "rate" column (the "raw" column counts them as survivors). A name is mutmut's
(`module.x_function__mutmut_N`, `module.xǁClassǁmethod__mutmut_N`); it changes when the
function is edited, and the run lists names that no longer exist.
"""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {}
