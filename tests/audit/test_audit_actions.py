"""Every action a service records is a member of AuditAction: the audit officer's filter and the
log's meaning rest on these values never drifting."""

import pytest

from canpei.audit.actions import AuditAction
from canpei.institutions.services import DESIGNATION_LIFECYCLE
from canpei.spreadsheets.registry import import_specs
from canpei.training.applications.services.applications import APPLICATION_LIFECYCLE
from canpei.training.classes.services.transitions import CLASS_LIFECYCLE

LIFECYCLES = [CLASS_LIFECYCLE, APPLICATION_LIFECYCLE, DESIGNATION_LIFECYCLE]


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.audit_name)
def test_every_workflow_step_has_its_audit_action(lifecycle):
    for action in lifecycle.workflow.action_values:
        assert f"{lifecycle.audit_name}.{action}" in set(AuditAction)


def test_every_registered_import_kind_has_its_audit_action():
    # Exports name their action in their Ledger (typed AuditAction); imports record import.<kind>.
    kinds = [spec.kind for spec in import_specs()]
    assert kinds == ["persons", "surveys", "enrollments", "certificates", "followups"]
    for kind in kinds:
        assert f"import.{kind}" in set(AuditAction)


def test_the_stored_values_are_the_ones_already_in_logs():
    # A renamed value would orphan every entry already written under the old one.
    assert AuditAction.PERSON_REVEAL == "person.reveal"
    assert AuditAction.SECURITY_DENIED == "security.denied"
    assert AuditAction.CLASS_PASS_AUDIT == "class.pass_audit"
    assert len({member.value for member in AuditAction}) == len(AuditAction)
