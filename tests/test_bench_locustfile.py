"""bench/locustfile.py: which requests each kind of client sends in each mix of bench/load.py
(--mix read, --mix floor). Imported in a child process: importing locust patches the standard
library for gevent, which must not happen inside the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

SHOW_TASKS = """
import collections, json, locustfile
print(json.dumps({
    "pages": collections.Counter(t.__name__ for t in locustfile.PageClient.tasks),
    "api": collections.Counter(t.__name__ for t in locustfile.ApiClient.tasks),
}))
"""


def tasks_of(mix: str | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps({"towns": [], "persons": [], "classes": [], "searches": []}))
    env = {
        **os.environ,
        "CANPEI_LOAD_SAMPLE": str(sample),
        "CANPEI_LOAD_USER": "load",
        "CANPEI_LOAD_PASSWORD": "x",
        "CANPEI_LOAD_CLIENTS": "1",
        "CANPEI_LOAD_SECONDS": "1",
        "CANPEI_LOAD_READY": str(tmp_path / "ready"),
    }
    env.pop("CANPEI_LOAD_MIX", None)
    if mix is not None:
        env["CANPEI_LOAD_MIX"] = mix
    return subprocess.run(
        [sys.executable, "-c", SHOW_TASKS],
        cwd=BENCH,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("mix", [None, "read"])
def test_the_read_mix_sends_lists_searches_and_details(mix: str | None, tmp_path: Path) -> None:
    # Each task as often as its weight: locust picks one of the list at random.
    done = tasks_of(mix, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "pages": {
            "persons_by_town": 3,
            "persons_search": 2,
            "person_page": 3,
            "classes": 1,
            "class_page": 1,
        },
        "api": {
            "persons_by_town": 3,
            "persons_search": 2,
            "person": 3,
            "classes": 1,
            "training_class": 1,
        },
    }


def test_the_floor_mix_sends_the_cheapest_page_and_api_answer_only(tmp_path: Path) -> None:
    done = tasks_of("floor", tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"pages": {"lookup_form": 1}, "api": {"person": 1}}


def test_an_unknown_mix_is_refused(tmp_path: Path) -> None:
    done = tasks_of("write", tmp_path)
    assert done.returncode != 0
    assert "unknown CANPEI_LOAD_MIX 'write'" in done.stderr
