"""三员分立: the officers' role × action matrix of canpei/accounts/roles.py, one test per cell
against what really happens, and the attacks of issue 8 items 1 and 2 on the web and API paths.

An allowed cell must be applied; a refused one must answer 403 or 404 and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from canpei.accounts.models import ApiToken, RoleProposal, User
from canpei.accounts.roles import MATRIX_ROLES, OFFICER_MATRIX, OfficerAction, Role
from canpei.accounts.services import (
    LAST_OFFICER,
    OFFICER_ACTIVE,
    OFFICER_NEEDS_TWO,
    OFFICER_ROLE_AT_CREATION,
    OWN_ROLE,
    PROPOSAL_SELF,
    role_decide,
    role_propose,
    token_issue,
    user_set_role,
)
from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.errors import Conflict, Forbidden
from tests.conftest import ANHAI, PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-pass-2027"

A = OfficerAction
# What 三员分立 requires, written out here again so that a change of the table in roles.py
# cannot pass unnoticed:             sys_admin security_admin audit_admin city_admin
EXPECTED: dict[str, tuple[bool, bool, bool, bool]] = {
    A.LIST_USERS: (True, True, False, False),
    A.CREATE_USER: (True, False, False, False),
    A.CREATE_OFFICER: (False, False, False, False),
    A.ASSIGN_BUSINESS_ROLE: (False, True, False, False),
    A.PROPOSE_OFFICER_ROLE: (False, True, False, False),
    A.CONFIRM_OFFICER_ROLE: (True, False, True, False),
    A.CHANGE_OWN_ROLE: (False, False, False, False),
    A.DEACTIVATE_USER: (True, False, False, False),
    A.REVOKE_TOKENS: (False, True, False, False),
    A.READ_AUDIT: (False, False, True, False),
    A.READ_BUSINESS_DATA: (False, False, False, True),
}


def test_the_matrix_in_roles_py_is_the_separation_of_duties() -> None:
    assert MATRIX_ROLES == ("sys_admin", "security_admin", "audit_admin", "city_admin")
    assert OFFICER_MATRIX == EXPECTED


@pytest.fixture
def fresh(db: Any) -> Any:
    """An account as the system officer leaves it: no role yet."""
    user = User(username="fresh", role="")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def second_audit_officer(db: Any) -> Any:
    """Another audit officer, so that moving the first one does not leave the role empty."""
    user = User(username="auditadmin2", role="audit_admin")
    user.set_password(PASSWORD)
    user.save()
    return user


def _role(user: Any) -> tuple[str, str | None]:
    user.refresh_from_db()
    return user.role, user.town_id


# Each action: do it as `actor` through the page (or API) a person would use; return the
# response and whether the effect is in the database. `state` is what must not change when
# refused.


def _list_users(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.get("/admin/users")
    return response, response.status_code == 200 and "fresh" in response.content.decode()


def _create_user(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.post("/admin/users", {"username": "newbie", "password": NEW_PASSWORD})
    made = User.objects.filter(username="newbie").first()
    return response, made is not None and made.role == "" and made.must_change_password


def _create_officer(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.post(
        "/admin/users", {"username": "newbie", "password": NEW_PASSWORD, "role": "security_admin"}
    )
    return response, User.objects.filter(username="newbie").exists()


def _assign_business_role(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.post(f"/admin/users/{fresh.pk}/role", {"role": "town_staff", "town": ANHAI})
    return response, _role(fresh) == ("town_staff", ANHAI)


def _propose_officer_role(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.post(f"/admin/users/{fresh.pk}/role", {"role": "audit_admin"})
    # Proposed, never applied by this step alone.
    assert _role(fresh) == ("", None)
    return response, RoleProposal.objects.filter(
        user=fresh, role="audit_admin", state="pending"
    ).exists()


def _confirm_officer_role(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    proposal = RoleProposal.objects.create(
        user=fresh, role="audit_admin", proposed_by=users.security_admin
    )
    response = client.post(f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"})
    proposal.refresh_from_db()
    applied = _role(fresh) == ("audit_admin", None)
    assert applied == (proposal.state == "confirmed")
    return response, applied


def _change_own_role(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    wanted = "auditor" if actor.role == "city_admin" else "city_admin"
    response = client.post(f"/admin/users/{actor.pk}/role", {"role": wanted})
    return response, _role(actor)[0] == wanted or RoleProposal.objects.filter(user=actor).exists()


def _deactivate_user(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.post(f"/admin/users/{users.town_staff.pk}/active", {"active": "0"})
    users.town_staff.refresh_from_db()
    return response, not users.town_staff.is_active


def _revoke_tokens(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    raw = token_issue(actor=users.town_staff, user=users.town_staff)
    response = client.post(f"/admin/users/{users.town_staff.pk}/tokens/revoke")
    revoked = ApiToken.objects.get(digest=ApiToken.digest_of(raw)).revoked_at is not None
    answer = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert (answer.status_code == 401) == revoked
    return response, revoked


def _read_audit(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.get("/audit")
    return response, response.status_code == 200 and "person.create" in response.content.decode()


def _read_business_data(
    client: Client, actor: Any, users: Any, fresh: Any, person: Any
) -> tuple[Any, bool]:
    response = client.get("/persons")
    return response, response.status_code == 200 and person.name in response.content.decode()


ACTIONS: dict[str, Callable[..., tuple[Any, bool]]] = {
    A.LIST_USERS: _list_users,
    A.CREATE_USER: _create_user,
    A.CREATE_OFFICER: _create_officer,
    A.ASSIGN_BUSINESS_ROLE: _assign_business_role,
    A.PROPOSE_OFFICER_ROLE: _propose_officer_role,
    A.CONFIRM_OFFICER_ROLE: _confirm_officer_role,
    A.CHANGE_OWN_ROLE: _change_own_role,
    A.DEACTIVATE_USER: _deactivate_user,
    A.REVOKE_TOKENS: _revoke_tokens,
    A.READ_AUDIT: _read_audit,
    A.READ_BUSINESS_DATA: _read_business_data,
}

CELLS = [(action, role) for action in EXPECTED for role in MATRIX_ROLES]


def test_every_action_of_the_matrix_has_a_test() -> None:
    assert set(ACTIONS) == set(OFFICER_MATRIX)


@pytest.mark.parametrize("action, role", CELLS, ids=[f"{a}-{r}" for a, r in CELLS])
def test_matrix_cell(
    action: str, role: str, users: Any, fresh: Any, person_in: Any, login: Any
) -> None:
    actor = users.by_role()[role]
    allowed = EXPECTED[action][MATRIX_ROLES.index(role)]
    last_before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response, applied = ACTIONS[action](login(actor), actor, users, fresh, person_in)
    assert applied == allowed, (action, role, response.status_code)
    if allowed:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code in (403, 404)
        if action not in (A.LIST_USERS, A.READ_AUDIT, A.READ_BUSINESS_DATA):
            # A refused write changes nothing; the attempt itself is kept for the audit officer.
            # (The token-revocation cell issues the token it tries to revoke.)
            written = list(
                AuditEntry.objects.filter(pk__gt=last_before)
                .exclude(action="token.issue")
                .values_list("action", "actor_id")
            )
            assert written == [("security.denied", actor.pk)]
    assert audit_verify().ok


# Item 1: the system officer can mint any role (web path).


@pytest.mark.parametrize(
    "role", ["city_admin", "audit_admin", "security_admin", "sys_admin", "town_staff"]
)
def test_the_system_officer_cannot_create_an_account_with_a_role(
    role: str, users: Any, login: Any
) -> None:
    data = {"username": "mole", "password": NEW_PASSWORD, "role": role}
    if role == "town_staff":
        data["town"] = ANHAI
    response = login(users.sys_admin).post("/admin/users", data)
    assert response.status_code == 403
    assert "系统管理员只能创建未分配角色的账户" in response.content.decode()
    assert OFFICER_ROLE_AT_CREATION in response.content.decode()
    assert not User.objects.filter(username="mole").exists()


def test_the_user_form_offers_no_role(users: Any, login: Any) -> None:
    page = login(users.sys_admin).get("/admin/users").content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert 'name="role"' not in page and 'name="town"' not in page


def _api_token(username: str, password: str) -> Any:
    return Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def test_an_account_the_system_officer_creates_reads_nothing_until_given_a_role(
    users: Any, person_in: Any, login: Any
) -> None:
    """API path of item 1: the new account's token reads no person and no audit entry."""
    assert (
        login(users.sys_admin)
        .post("/admin/users", {"username": "mole", "password": NEW_PASSWORD})
        .status_code
        == 302
    )
    mole = User.objects.get(username="mole")
    assert (mole.role, mole.town_id, mole.institution_id) == ("", None, None)
    # The initial password is changed first (forced), then a token is had.
    client = Client()
    client.post("/login", {"username": "mole", "password": NEW_PASSWORD})
    assert (
        client.post(
            "/account/password",
            {
                "old_password": NEW_PASSWORD,
                "new_password1": "Own-pass-2027x",
                "new_password2": "Own-pass-2027x",
            },
        ).status_code
        == 302
    )
    dashboard = client.get("/").content.decode()
    assert "您的账户尚未分配角色" in dashboard
    token = _api_token("mole", "Own-pass-2027x").json()["token"]
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    persons = Client().get("/api/v1/persons", **auth)
    assert persons.status_code == 403 or persons.json()["count"] == 0
    assert person_in.name not in persons.content.decode()
    assert Client().get("/api/v1/audit", **auth).status_code == 403
    assert client.get("/persons").status_code == 404
    assert client.get("/audit").status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/users"),
        ("post", "/api/v1/auth/users"),
        ("patch", "/api/v1/users/{id}"),
        ("post", "/api/v1/users/{id}/role"),
        ("put", "/api/v1/users/{id}/role"),
    ],
)
def test_no_api_route_creates_accounts_or_changes_roles(
    method: str, path: str, users: Any, api: Any
) -> None:
    """The API has no account administration: the pages are the only path, checked above."""
    before = list(User.objects.order_by("pk").values_list("username", "role"))
    for officer in (users.sys_admin, users.security_admin):
        client = api(officer)
        url = path.format(id=users.town_staff.pk)
        body = json.dumps({"username": "mole", "password": NEW_PASSWORD, "role": "city_admin"})
        response = getattr(client.client, method)(
            url, body, content_type="application/json", **client.headers
        )
        assert response.status_code in (404, 405)
    assert list(User.objects.order_by("pk").values_list("username", "role")) == before


# Item 2: the security officer changes its own role and the other officers' roles.


def test_the_security_officer_cannot_give_itself_another_role(users: Any, login: Any) -> None:
    client = login(users.security_admin)
    page = client.get(f"/admin/users/{users.security_admin.pk}/role")
    assert page.status_code == 403 and OWN_ROLE in page.content.decode()
    response = client.post(f"/admin/users/{users.security_admin.pk}/role", {"role": "city_admin"})
    assert response.status_code == 403
    assert "不能变更自己的角色或范围" in response.content.decode()
    assert _role(users.security_admin) == ("security_admin", None)
    assert not RoleProposal.objects.exists()


def test_nobody_changes_their_own_role_even_through_the_service(users: Any) -> None:
    for user in users.by_role().values():
        with pytest.raises(Forbidden):
            user_set_role(actor=user, user=user, role="city_admin")
        with pytest.raises(Forbidden):
            role_propose(actor=user, user=user, role="city_admin")
        assert _role(user)[0] == user.role


def test_the_security_officer_cannot_move_the_audit_officer_to_town_staff_alone(
    users: Any, login: Any, second_audit_officer: Any
) -> None:
    with pytest.raises(Forbidden) as refused:
        user_set_role(
            actor=users.security_admin, user=users.audit_admin, role="town_staff", town=ANHAI
        )
    assert refused.value.message == OFFICER_NEEDS_TWO
    response = login(users.security_admin).post(
        f"/admin/users/{users.audit_admin.pk}/role", {"role": "town_staff", "town": ANHAI}
    )
    assert response.status_code == 302
    # Not applied: a proposal waits for a second officer.
    assert _role(users.audit_admin) == ("audit_admin", None)
    proposal = RoleProposal.objects.get(user=users.audit_admin)
    assert (proposal.state, proposal.role, proposal.town_id) == ("pending", "town_staff", ANHAI)


def test_the_two_officer_procedure_applies_an_officer_role_and_is_audited(
    users: Any, fresh: Any, login: Any
) -> None:
    security = login(users.security_admin)
    assert (
        security.post(f"/admin/users/{fresh.pk}/role", {"role": "security_admin"}).status_code
        == 302
    )
    proposal = RoleProposal.objects.get(user=fresh)
    # The audit officer sees it and confirms it.
    audit = login(users.audit_admin)
    listing = audit.get("/admin/role-proposals").content.decode()
    assert "fresh" in listing and "待确认" in listing
    assert (
        audit.post(
            f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
        ).status_code
        == 302
    )
    assert _role(fresh) == ("security_admin", None)
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by_id) == ("confirmed", users.audit_admin.pk)
    # Both steps are in the audit log, readable by the audit officer.
    log = audit.get("/audit").content.decode()
    assert "user.role_propose" in log and "user.role" in log
    entry = AuditEntry.objects.filter(action="user.role").latest("id")
    assert entry.actor_id == users.audit_admin.pk
    assert (
        entry.changes["before"]["role"] == "" and entry.changes["after"]["role"] == "security_admin"
    )
    assert audit_verify().ok


def test_an_officer_cannot_confirm_a_change_of_its_own_role(
    users: Any, login: Any, second_audit_officer: Any
) -> None:
    proposal = role_propose(
        actor=users.security_admin, user=users.audit_admin, role="town_staff", town=ANHAI
    )
    with pytest.raises(Forbidden) as refused:
        role_decide(actor=users.audit_admin, proposal=proposal, confirm=True)
    assert refused.value.message == PROPOSAL_SELF
    login(users.audit_admin).post(
        f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
    )
    assert _role(users.audit_admin) == ("audit_admin", None)
    # The other confirming officer can.
    login(users.sys_admin).post(
        f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
    )
    assert _role(users.audit_admin) == ("town_staff", ANHAI)


def test_a_rejected_proposal_changes_nothing_and_is_audited(
    users: Any, fresh: Any, login: Any
) -> None:
    proposal = role_propose(actor=users.security_admin, user=fresh, role="sys_admin")
    assert (
        login(users.sys_admin)
        .post(f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "reject"})
        .status_code
        == 302
    )
    assert _role(fresh) == ("", None)
    proposal.refresh_from_db()
    assert proposal.state == "rejected"
    assert AuditEntry.objects.filter(action="user.role_reject").count() == 1
    # A decided proposal cannot be confirmed afterwards.
    login(users.audit_admin).post(
        f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
    )
    assert _role(fresh) == ("", None)


def test_a_business_role_change_is_applied_audited_and_ends_the_tokens(
    users: Any, fresh: Any, login: Any
) -> None:
    raw = token_issue(actor=fresh, user=fresh)
    response = login(users.security_admin).post(
        f"/admin/users/{fresh.pk}/role", {"role": "town_staff", "town": ANHAI}
    )
    assert response.status_code == 302
    assert _role(fresh) == ("town_staff", ANHAI)
    assert ApiToken.objects.get(digest=ApiToken.digest_of(raw)).revoked_at is not None
    entry = AuditEntry.objects.filter(action="user.role").latest("id")
    assert entry.actor_id == users.security_admin.pk and entry.object_id == str(fresh.pk)


def test_the_system_officer_cannot_deactivate_an_officer_from_the_page(
    users: Any, login: Any
) -> None:
    client = login(users.sys_admin)
    for officer in (users.security_admin, users.audit_admin, users.sys_admin):
        client.post(f"/admin/users/{officer.pk}/active", {"active": "0"})
        officer.refresh_from_db()
        assert officer.is_active
    page = client.get("/admin/users").content.decode()
    assert "管理员账户的停用与启用只能由运维人员在命令行执行" in page or "不能停用" in page


# The last holder of an officer role (found when the product was tried from outside: the
# security and system officers together removed the only audit officer, after which nobody
# could read the audit log and the former audit officer read every person).


@pytest.mark.parametrize(
    "officer, role",
    [
        ("audit_admin", "city_admin"),
        ("audit_admin", "town_staff"),
        ("sys_admin", "auditor"),
        ("security_admin", "audit_admin"),
    ],
)
def test_the_last_holder_of_an_officer_role_is_not_moved(
    officer: str, role: str, users: Any, login: Any
) -> None:
    target = users.by_role()[officer]
    town = ANHAI if role == "town_staff" else None
    if officer == "security_admin":
        # Proposed by the security officer about itself is refused already; the guard is
        # reached through the service by the operator's proposal (None skips the officers'
        # checks, outside the typed contract: a stored proposal names its proposer).
        with pytest.raises(Conflict) as refused:
            role_propose(actor=None, user=target, role=role, town=town)  # type: ignore[arg-type]
    else:
        response = login(users.security_admin).post(
            f"/admin/users/{target.pk}/role", {"role": role, "town": town or ""}
        )
        assert response.status_code == 409
        assert LAST_OFFICER.format(role=Role(officer).label) in response.content.decode()
        with pytest.raises(Conflict) as refused:
            role_propose(actor=users.security_admin, user=target, role=role, town=town)
    assert refused.value.message == LAST_OFFICER.format(role=Role(officer).label)
    assert "只剩这一个在用账户" in refused.value.message
    assert _role(target) == (officer, None)
    assert not RoleProposal.objects.filter(user=target).exists()


def test_a_proposal_that_became_the_last_holder_is_not_confirmed(
    users: Any, login: Any, second_audit_officer: Any
) -> None:
    first = role_propose(actor=users.security_admin, user=users.audit_admin, role="auditor")
    second = role_propose(actor=users.security_admin, user=second_audit_officer, role="auditor")
    assert (
        login(users.sys_admin)
        .post(f"/admin/role-proposals/{first.pk}/decide", {"decision": "confirm"})
        .status_code
        == 302
    )
    assert _role(users.audit_admin) == ("auditor", None)
    page = login(users.sys_admin).post(
        f"/admin/role-proposals/{second.pk}/decide", {"decision": "confirm"}, follow=True
    )
    assert "「审计管理员」只剩这一个在用账户，不能变更其角色" in page.content.decode()
    assert _role(second_audit_officer) == ("audit_admin", None)
    second.refresh_from_db()
    assert second.state == "pending"
    assert audit_verify().ok


def test_an_inactive_holder_does_not_count_as_another_officer(
    users: Any, login: Any, second_audit_officer: Any
) -> None:
    User.objects.filter(pk=second_audit_officer.pk).update(is_active=False)
    with pytest.raises(Conflict):
        role_propose(actor=users.security_admin, user=users.audit_admin, role="auditor")


# Refused attempts are kept for the audit officer.


@pytest.mark.parametrize(
    "attempt",
    [
        "role_posted_at_creation",
        "own_role",
        "confirm_own",
        "security_confirms",
        "deactivate_officer",
    ],
)
def test_a_refused_officer_attempt_is_in_the_audit_log(
    attempt: str, users: Any, fresh: Any, login: Any, second_audit_officer: Any
) -> None:
    if attempt == "role_posted_at_creation":
        actor = users.sys_admin
        response = login(actor).post(
            "/admin/users", {"username": "mole", "password": NEW_PASSWORD, "role": "city_admin"}
        )
        reason = OFFICER_ROLE_AT_CREATION
    elif attempt == "own_role":
        actor = users.security_admin
        response = login(actor).post(f"/admin/users/{actor.pk}/role", {"role": "city_admin"})
        reason = OWN_ROLE
    elif attempt == "confirm_own":
        actor = users.audit_admin
        proposal = role_propose(actor=users.security_admin, user=actor, role="auditor")
        response = login(actor).post(
            f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
        )
        reason = PROPOSAL_SELF
    elif attempt == "security_confirms":
        actor = users.security_admin
        proposal = role_propose(actor=actor, user=fresh, role="sys_admin")
        response = login(actor).post(
            f"/admin/role-proposals/{proposal.pk}/decide", {"decision": "confirm"}
        )
        reason = ""
    else:
        actor = users.sys_admin
        response = login(actor).post(f"/admin/users/{users.audit_admin.pk}/active", {"active": "0"})
        reason = OFFICER_ACTIVE
    assert response.status_code in (302, 403, 404)
    entry = AuditEntry.objects.filter(action="security.denied").latest("pk")
    assert entry.actor_id == actor.pk
    assert entry.summary.startswith(f"已拒绝 {actor.username} 的操作：")
    assert entry.changes["reason"] == reason
    assert User.objects.filter(pk=users.audit_admin.pk, is_active=True, role="audit_admin").exists()
    assert not User.objects.filter(username="mole").exists()
    assert audit_verify().ok


def test_the_proposals_page_shows_the_current_role_and_no_buttons_on_ones_own(
    users: Any, login: Any, second_audit_officer: Any
) -> None:
    mine = role_propose(actor=users.security_admin, user=users.audit_admin, role="auditor")
    page = login(users.audit_admin).get("/admin/role-proposals").content.decode()
    row = page.split('<th scope="row">auditadmin</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>审计管理员</td>" in row and "<td>监督</td>" in row
    assert "与本人账户有关，须由另一名管理员处理" in row
    assert f"/admin/role-proposals/{mine.pk}/decide" not in row
    other = login(users.sys_admin).get("/admin/role-proposals").content.decode()
    assert f"/admin/role-proposals/{mine.pk}/decide" in other
