"""The audit key: from CANPEI_AUDIT_KEY, else generated once into the var dir (owner only), as
the field key is; a key too short stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW = (
    "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'; "
    "from django.conf import settings; print(settings.AUDIT_KEY)"
)


def settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("CANPEI_AUDIT_KEY", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env={**base, "CANPEI_VAR_DIR": str(tmp_path), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_audit_key_is_generated_once_into_the_var_dir(tmp_path):
    first = settings_with(tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "audit.key"
    assert key_file.read_text().strip() == first.stdout.strip()
    assert len(first.stdout.strip()) >= 32
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert settings_with(tmp_path).stdout == first.stdout


def test_the_environment_wins_and_a_short_key_stops_start_up(tmp_path):
    chosen = settings_with(tmp_path, CANPEI_AUDIT_KEY="k" * 32)
    assert (chosen.returncode, chosen.stdout.strip()) == (0, "k" * 32)
    assert not (tmp_path / "audit.key").exists()
    short = settings_with(tmp_path, CANPEI_AUDIT_KEY="k" * 31)
    assert short.returncode != 0
    assert "CANPEI_AUDIT_KEY must be at least 32 characters" in short.stderr
