"""A process killed in the middle of a settlement (issue 11): the payment is written inside the
settling transaction, so SIGKILL after it was written but before the commit leaves no payment,
no payment line and the class still audited (unsettled). The real thing: a `canpei` process on a
database of its own, killed while the settlement hooks run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

SETUP = """
import django, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'
django.setup()
from django.core.management import call_command
call_command('migrate', verbosity=0)
from canpei.demo import demo_load
demo_load(persons=80, seed=1)
"""

# Settle the first audited class with completers; a hook after the funds' one reports that the
# payment is written (inside the transaction) and waits to be killed.
SETTLE = """
import django, os, sys, time
os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'
django.setup()
from canpei.accounts.models import User
from canpei.funds.models import Disbursement
from canpei.training.classes import services
from canpei.training.models import TrainingClass

def wait_to_be_killed(*, training_class, actor):
    written = Disbursement.objects.filter(training_class=training_class).count()
    print(f"written {training_class.pk} {written}", flush=True)
    time.sleep(120)

services.SETTLEMENT_HOOKS.append(wait_to_be_killed)
c = (TrainingClass.objects.filter(state='audited', enrollments__status='completed')
     .distinct().order_by('pk').first())
services.class_transition(training_class=c, actor=User.objects.get(username='city'),
                          action='settle')
"""

CHECK = """
import django, os, sys
os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'
django.setup()
from canpei.funds.models import Disbursement, DisbursementLine
from canpei.training.models import TrainingClass
pk = int(sys.argv[1])
print(TrainingClass.objects.get(pk=pk).state,
      Disbursement.objects.filter(training_class_id=pk).count(),
      DisbursementLine.objects.filter(disbursement__training_class_id=pk).count())
"""


@pytest.mark.slow
def test_a_settlement_killed_before_its_commit_leaves_no_payment_and_the_class_unsettled(
    tmp_path: Path,
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CANPEI_USER", "CANPEI_TASKS")
    }
    env.update(CANPEI_VAR_DIR=str(tmp_path / "var"), CANPEI_TASKS="immediate")

    def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    setup = python(SETUP)
    assert setup.returncode == 0, setup.stderr[-2000:]
    settling = subprocess.Popen(
        [sys.executable, "-c", SETTLE],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert settling.stdout is not None
        line = settling.stdout.readline()
        assert line.startswith("written "), settling.stderr.read() if settling.stderr else ""
        _, class_id, written = line.split()
        assert written == "1"  # the payment was in the transaction when the process died
    finally:
        settling.send_signal(signal.SIGKILL)
        settling.wait()
    check = python(CHECK, class_id)
    assert check.returncode == 0, check.stderr[-2000:]
    assert check.stdout.split() == ["audited", "0", "0"]
