"""The application and staff-training pages: who may open which, the forms behind them, the
workflow buttons by role and state, and the ledger exports."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from canpei.audit.models import AuditEntry
from canpei.training import rules
from canpei.training.applications.services import application_create
from canpei.training.models import Application, StaffTraining
from tests.conftest import ANHAI, CIZAO, make_id, person_data
from tests.forms import forms_offered

ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)
READERS = {"city_admin", "town_staff", "employment_service", "auditor"}
TODAY = dt.date.today()

# (path, roles that get 200 for the town staff's own record, ... for another town's record)
PAGES = [
    ("/applications", READERS, READERS),
    ("/applications/export", READERS, READERS),
    ("/applications/{app}", READERS, READERS - {"town_staff"}),
    ("/applications/{app}/edit", {"town_staff"}, set()),
    ("/staff-training", READERS, READERS),
    ("/staff-training/export", READERS, READERS),
    ("/staff-training/new", {"city_admin", "town_staff"}, {"city_admin", "town_staff"}),
    ("/staff-training/{staff}", READERS, READERS - {"town_staff"}),
    ("/staff-training/{staff}/edit", {"city_admin", "town_staff"}, {"city_admin"}),
]
CASES = [
    (p, inside if where == "own" else outside, where)
    for p, inside, outside in PAGES
    for where in (("own", "other") if "{" in p else ("own",))
]


def html(response: Any) -> str:
    return response.content.decode()


def app_data(person: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "person": person.pk,
        "kind": "upgrade",
        "institution_name": "泉州市某鉴定中心",
        "occupation": "保健按摩师",
        "amount_requested": "600",
    }
    data.update(overrides)
    return data


@pytest.fixture
def records(users: Any, person_in: Any) -> dict[str, Any]:
    """An application and a staff record of each town."""
    from canpei.people.services import person_create
    from canpei.training.applications.services import staff_training_create

    number = make_id("35058219880808002")
    other_person = person_create(
        actor=users.city_admin,
        data=person_data(
            name="林五",
            id_number=number,
            cert_number=number + "11",
            town=CIZAO,
            category="1",
            grade="1",
        ),
    )
    own = application_create(actor=users.town_staff, data=app_data(person_in))
    other = application_create(actor=users.other_town_staff, data=app_data(other_person))
    staff = {
        town: staff_training_create(
            actor=users.city_admin,
            data={
                "town": town,
                "staff_name": name,
                "position": "liaison",
                "course": "政策解读",
                "year": TODAY.year,
                "hours": "12",
            },
        )
        for town, name in ((ANHAI, "王丽"), (CIZAO, "蔡强"))
    }
    return {"own": own, "other": other, "staff_own": staff[ANHAI], "staff_other": staff[CIZAO]}


@pytest.mark.parametrize("path,allowed,where", CASES, ids=[f"{p} {w}" for p, _a, w in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_only_for_the_roles_that_may(
    role: str, path: str, allowed: set[str], where: str, users: Any, records: Any, login: Any
) -> None:
    app = records["own"] if where == "own" else records["other"]
    staff = records["staff_own"] if where == "own" else records["staff_other"]
    response = login(users.by_role()[role]).get(path.format(app=app.pk, staff=staff.pk))
    assert response.status_code == (200 if role in allowed else 404), response.status_code
    if response.status_code == 200 and "{app}" in path:
        assert app.person.name in html(response)
    if response.status_code == 404 and "{app}" in path:
        assert app.person.name not in html(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_offers_the_new_pages_to_their_readers(
    role: str, users: Any, login: Any
) -> None:
    page = html(login(users.by_role()[role]).get("/"))
    assert ('href="/applications"' in page) is (role in READERS)
    assert ('href="/staff-training"' in page) is (role in READERS)


def test_the_list_shows_masked_numbers_and_filters(
    users: Any, records: Any, login: Any, person_in: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get("/applications"))
    assert person_in.id_number_masked in page and person_in.id_number not in page
    assert "林五" in page
    assert "林五" not in html(client.get(f"/applications?town={ANHAI}"))
    assert person_in.name not in html(client.get("/applications?state=approved"))
    bad = html(client.get("/applications?state=open&year=x"))
    assert 'role="alert"' in bad and "年度须为" in bad
    town_page = html(login(users.town_staff).get("/applications"))
    assert "林五" not in town_page and 'id="f-town"' not in town_page


def test_town_staff_submit_from_the_person_page(users: Any, person_in: Any, login: Any) -> None:
    client = login(users.town_staff)
    person_page = html(client.get(f"/persons/{person_in.pk}"))
    assert f'href="/applications/new?person={person_in.pk}"' in person_page
    assert "/applications/new" not in html(login(users.auditor).get(f"/persons/{person_in.pk}"))
    assert "人员名册" in html(client.get("/applications/new"))
    form = client.get(f"/applications/new?person={person_in.pk}")
    assert form.status_code == 200
    refused = client.post(
        f"/applications/new?person={person_in.pk}",
        {"kind": "", "occupation": "", "amount_requested": "x"},
    )
    assert refused.status_code == 422
    page = html(refused)
    for message in (
        rules.APPLICATION_KIND_INVALID,
        rules.OCCUPATION_REQUIRED,
        rules.APPLICATION_INSTITUTION_REQUIRED,
        rules.AMOUNT_REQUESTED_INVALID,
    ):
        assert message in page
    assert not Application.objects.exists()
    done = client.post(
        f"/applications/new?person={person_in.pk}",
        {
            "kind": "self_directed",
            "institution_name": "泉州市某职业培训学校",
            "occupation": "电子商务师",
            "amount_requested": "1500",
            "planned_start": "",
            "planned_end": "",
            "level": "",
            "training_type": "",
            "institution": "",
            "reason": "",
        },
    )
    application = Application.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/applications/{application.pk}"
    assert (application.state, application.person_id) == ("submitted", person_in.pk)


def test_another_towns_person_cannot_be_named(users: Any, person_out: Any, login: Any) -> None:
    assert (
        login(users.town_staff).get(f"/applications/new?person={person_out.pk}").status_code == 404
    )


def test_buttons_follow_role_and_state_and_the_whole_flow(
    users: Any, records: Any, login: Any
) -> None:
    app = records["own"]
    city, town = login(users.city_admin), login(users.town_staff)
    path = f"/applications/{app.pk}"
    assert forms_offered(html(city.get(path))) == ["approve", "reject"]
    assert forms_offered(html(town.get(path))) == []
    assert forms_offered(html(login(users.auditor).get(path))) == []
    assert f'href="/applications/{app.pk}/edit"' in html(town.get(path))
    # Reject without a reason: refused at the field, nothing changes.
    refused = city.post(
        f"{path}/transitions", {"action": "reject", "reject-comment": "", "reject-confirm": "on"}
    )
    assert refused.status_code == 422
    assert rules.COMMENT_REQUIRED.format(action="不予批准") in html(refused)
    ok = city.post(
        f"{path}/transitions",
        {"action": "approve", "approve-comment": "同意", "approve-amount_approved": "500"},
    )
    assert ok.status_code == 302
    assert forms_offered(html(town.get(path))) == ["complete"]
    assert f'href="/applications/{app.pk}/edit"' not in html(town.get(path))
    no_proof = town.post(f"{path}/transitions", {"action": "complete"})
    assert no_proof.status_code == 422
    assert rules.PROOF_NUMBER_REQUIRED in html(no_proof)
    town.post(
        f"{path}/transitions",
        {
            "action": "complete",
            "complete-certificate_type": "training",
            "complete-certificate_number": "P-2026-1",
            "complete-certificate_date": TODAY.isoformat(),
            "complete-certificate_issuer": "泉州市某职业培训学校",
        },
    )
    assert Application.objects.get(pk=app.pk).state == "completed"
    over = city.post(
        f"{path}/transitions", {"action": "reimburse", "reimburse-amount_reimbursed": "500.01"}
    )
    assert over.status_code == 422
    assert "报销金额不能超过核定金额 500.00 元" in html(over)
    city.post(f"{path}/transitions", {"action": "reimburse", "reimburse-amount_reimbursed": "500"})
    page = html(city.get(path))
    assert Application.objects.get(pk=app.pk).state == "reimbursed"
    assert forms_offered(page) == []
    for label in ("批准", "登记完成", "报销", "同意"):
        assert label in page
    # A stale button: the state moved on, the step is refused with its reason.
    stale = city.post(f"{path}/transitions", {"action": "approve"})
    assert stale.status_code == 409
    assert rules.application_transition_refusal("reimbursed", "approve") in html(stale)
    # Town staff may not approve even by posting the form.
    assert (
        town.post(
            f"/applications/{records['own'].pk}/transitions", {"action": "approve"}
        ).status_code
        == 403
    )


def test_editing_a_submitted_application(users: Any, records: Any, login: Any) -> None:
    app = records["own"]
    client = login(users.town_staff)
    page = client.get(f"/applications/{app.pk}/edit")
    assert page.status_code == 200 and "保健按摩师" in html(page)
    saved = client.post(
        f"/applications/{app.pk}/edit",
        {
            "kind": "upgrade",
            "institution_name": "泉州市某鉴定中心",
            "occupation": "医疗按摩师",
            "amount_requested": "600.00",
            "institution": "",
            "training_type": "",
            "level": "",
            "planned_start": "",
            "planned_end": "",
            "reason": "",
        },
    )
    assert saved.status_code == 302
    assert Application.objects.get(pk=app.pk).occupation == "医疗按摩师"


def test_staff_training_create_and_edit(users: Any, login: Any) -> None:
    client = login(users.town_staff)
    page = html(client.get("/staff-training/new"))
    assert 'name="town"' not in page
    refused = client.post("/staff-training/new", {"staff_name": "", "year": "1990", "hours": "0"})
    assert refused.status_code == 422
    assert rules.STAFF_NAME_REQUIRED in html(refused) and rules.STAFF_HOURS_INVALID in html(refused)
    done = client.post(
        "/staff-training/new",
        {
            "staff_name": "王丽",
            "position": "counsellor",
            "course": "就业指导实务",
            "year": str(TODAY.year),
            "hours": "16",
            "fee_paid": "0",
            "completed_on": "",
        },
    )
    record = StaffTraining.objects.get()
    assert done.status_code == 302 and record.town_id == ANHAI
    edited = client.post(
        f"/staff-training/{record.pk}/edit",
        {
            "staff_name": "王丽",
            "position": "counsellor",
            "course": "就业指导实务",
            "year": str(TODAY.year),
            "hours": "16.0",
            "fee_paid": "0.00",
            "completed": "on",
            "completed_on": TODAY.isoformat(),
        },
    )
    assert edited.status_code == 302, html(edited)
    record.refresh_from_db()
    assert (record.completed, record.completed_on) == (True, TODAY)


def test_city_staff_choose_the_town(users: Any, login: Any) -> None:
    client = login(users.city_admin)
    assert 'name="town"' in html(client.get("/staff-training/new"))
    refused = client.post(
        "/staff-training/new",
        {
            "town": "",
            "staff_name": "蔡强",
            "position": "liaison",
            "course": "政策",
            "year": str(TODAY.year),
            "hours": "8",
        },
    )
    assert rules.STAFF_TOWN_REQUIRED in html(refused)


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def test_the_exports_follow_scope_and_filters_and_are_audited(
    users: Any, records: Any, login: Any, person_in: Any
) -> None:
    response = login(users.town_staff).get("/applications/export")
    assert response.status_code == 200
    rows = _sheet(response)
    names = [row[1] for row in rows[4:]]
    assert names == [person_in.name]
    entry = AuditEntry.objects.get(action="export.applications")
    assert entry.changes["rows"] == 1
    auditor_rows = _sheet(login(users.auditor).get(f"/applications/export?town={CIZAO}"))
    assert [row[1] for row in auditor_rows[4:]] == ["林五"]
    # The auditor may not reveal numbers: the ledger keeps them masked.
    assert auditor_rows[4][2].count("*") >= 8
    staff_rows = _sheet(login(users.city_admin).get(f"/staff-training/export?year={TODAY.year}"))
    assert sorted(row[2] for row in staff_rows[4:]) == ["王丽", "蔡强"]
    assert AuditEntry.objects.filter(action="export.staff_trainings").count() == 1
    bad = login(users.city_admin).get("/applications/export?year=abc")
    assert bad.status_code == 302 and bad["Location"] == "/applications"
