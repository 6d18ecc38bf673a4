"""canpei/wsgi.py, as gunicorn's workers load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_loaded_application_is_frozen_out_of_the_collectors_walks(tmp_path: Path) -> None:
    """What a worker imported lives as long as it does: frozen, so that a full collection does
    not walk it (a 60 ms pause every hundred requests)."""
    env = {**os.environ, "CANPEI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    answer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, canpei.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    frozen, tracked = (int(n) for n in answer.stdout.split())
    assert frozen > 50_000
    assert tracked < frozen / 10
