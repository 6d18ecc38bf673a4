"""Signing in: Argon2 hashes, the password policy, lockout, idle timeout, API tokens."""

from __future__ import annotations

import datetime as dt
import json
import string
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from canpei.accounts.middleware import RENEWED_KEY
from canpei.accounts.models import ApiToken, User
from canpei.accounts.passwords import PASSWORD_KINDS, CharacterKindsValidator
from canpei.accounts.views import LOCKED_OUT, LOGIN_FAILED
from canpei.api.auth import LOGIN_FAILED as API_LOGIN_FAILED
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Wrong-pass-2026"


def sign_in(client: Client, username: str, password: str):
    return client.post("/login", {"username": username, "password": password})


# Argon2.


def test_argon2_is_the_hasher_for_new_passwords():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher("default").algorithm == "argon2"


def test_passwords_are_stored_as_argon2_hashes(users):
    for user in users.by_role().values():
        assert user.password.startswith("argon2$argon2id$"), user.username
        assert PASSWORD not in user.password


def test_the_login_page_signs_a_user_in_with_an_argon2_password(users):
    client = Client()
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode() and 'name="password"' in page.content.decode()
    response = sign_in(client, "city", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert User.objects.get(username="city").password.startswith("argon2")


def test_a_legacy_pbkdf2_hash_is_upgraded_to_argon2_on_sign_in(users):
    User.objects.filter(pk=users.city_admin.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    assert sign_in(Client(), "city", PASSWORD).status_code == 302
    assert User.objects.get(pk=users.city_admin.pk).password.startswith("argon2")


def test_a_wrong_password_shows_the_login_error(users):
    response = sign_in(Client(), "city", WRONG)
    assert response.status_code == 401
    assert LOGIN_FAILED in response.content.decode()


def test_an_unknown_user_gets_the_same_error_as_a_wrong_password(users):
    response = sign_in(Client(), "nobody", PASSWORD)
    assert response.status_code == 401
    assert LOGIN_FAILED in response.content.decode()


def test_an_inactive_user_cannot_sign_in(users):
    User.objects.filter(pk=users.city_admin.pk).update(is_active=False)
    response = sign_in(Client(), "city", PASSWORD)
    assert response.status_code == 401
    assert LOGIN_FAILED in response.content.decode()


def test_the_login_page_does_not_redirect_to_another_site(users):
    client = Client()
    response = client.post(
        "/login?next=https://evil.example/", {"username": "city", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"


# Password policy: at least 8 characters of at least 3 kinds.

KINDS = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "!@#$%^&*-_=+.,;:?"]


@given(st.sets(st.integers(0, 3), min_size=3), st.data())
def test_a_password_of_three_kinds_passes_the_kinds_rule(kinds, data):
    alphabet = "".join(KINDS[k] for k in kinds)
    password = "".join(data.draw(st.sampled_from(KINDS[k])) for k in kinds)
    password += data.draw(st.text(alphabet, min_size=8))
    CharacterKindsValidator().validate(password)


@given(st.sets(st.integers(0, 3), min_size=1, max_size=2), st.data())
def test_a_password_of_fewer_than_three_kinds_fails_the_kinds_rule(kinds, data):
    alphabet = "".join(KINDS[k] for k in kinds)
    password = data.draw(st.text(alphabet, min_size=8, max_size=40))
    with pytest.raises(ValidationError) as caught:
        CharacterKindsValidator().validate(password)
    assert caught.value.messages == [PASSWORD_KINDS]


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("Xk7!", False),  # 3 kinds, too short
        ("Xk7pQz2", False),  # 7 characters
        ("Xk7pQz2w", True),  # 8 characters: upper, lower, digit
        ("xk7pqz2!", True),  # lower, digit, symbol
        ("XK7PQZ2!", True),  # upper, digit, symbol
        ("xkrpqzaw", False),  # one kind
        ("xk7pqz2w", False),  # two kinds
        ("残疾人就业培训2026a", False),  # Chinese characters are none of the four kinds
    ],
)
def test_the_password_policy_is_eight_characters_of_three_kinds(password, accepted):
    try:
        validate_password(password)
    except ValidationError:
        assert not accepted
    else:
        assert accepted


# Lockout (django-axes): five failures lock the account.


def test_the_sixth_attempt_is_refused_even_with_the_right_password(users):
    client = Client()
    for _ in range(5):
        assert sign_in(client, "city", WRONG).status_code in (401, 429)
    response = sign_in(client, "city", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another browser does not get round it: the lock is on the account.
    assert sign_in(Client(), "city", PASSWORD).status_code == 429


def test_four_failures_do_not_lock_and_a_success_resets_the_count(users):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "city", WRONG).status_code == 401
    assert sign_in(client, "city", PASSWORD).status_code == 302
    for _ in range(4):
        assert sign_in(Client(), "city", WRONG).status_code == 401
    assert sign_in(Client(), "city", PASSWORD).status_code == 302


def test_a_locked_account_does_not_lock_a_colleague(users):
    for _ in range(5):
        sign_in(Client(), "city", WRONG)
    assert sign_in(Client(), "anhai", PASSWORD).status_code == 302


def test_a_locked_account_cannot_get_an_api_token_either(users):
    for _ in range(5):
        sign_in(Client(), "city", WRONG)
    response = post_token("city", PASSWORD)
    assert response.status_code == 403
    assert response.json()["detail"] == LOCKED_OUT
    assert not ApiToken.objects.exists()


# Idle timeout: 30 minutes after the last request.


def test_the_session_idle_timeout_is_thirty_minutes_renewed_at_most_once_a_minute():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_RENEW_AFTER == 60
    # The renewal is the middleware's, not a write on every request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "canpei.accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE


def _age_session(
    client: Client, *, renewed_ago: int, expires_in: dt.timedelta, now: int | None = None
) -> str:
    """The session as if last renewed `renewed_ago` seconds ago and expiring in `expires_in`."""
    session = client.session
    session[RENEWED_KEY] = (int(time.time()) if now is None else now) - renewed_ago
    session.save()
    key = session.session_key
    assert key is not None
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + expires_in)
    return key


def test_a_request_a_minute_after_the_last_renewal_extends_the_session_by_thirty_minutes(users):
    client = Client()
    sign_in(client, "city", PASSWORD)
    key = _age_session(client, renewed_ago=60, expires_in=dt.timedelta(minutes=1))
    assert client.get("/").status_code == 200
    remaining = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)


def test_requests_within_a_minute_of_the_last_renewal_write_no_session(users):
    client = Client()
    sign_in(client, "city", PASSWORD)
    # The clock stands still for the request: 59 seconds must not become 60 on a slow machine
    # (or across a second's boundary, the renewal time being whole seconds).
    now = int(time.time())
    key = _age_session(client, renewed_ago=59, expires_in=dt.timedelta(minutes=20), now=now)
    before = Session.objects.get(session_key=key).expire_date
    with mock.patch("canpei.accounts.middleware.time", SimpleNamespace(time=lambda: float(now))):
        assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == before


def test_the_first_request_after_signing_in_starts_the_renewal_clock(users):
    client = Client()
    sign_in(client, "city", PASSWORD)
    assert client.get("/").status_code == 200
    assert abs(client.session[RENEWED_KEY] - time.time()) < 5


def test_a_session_idle_for_thirty_minutes_is_signed_out(users):
    client = Client()
    sign_in(client, "city", PASSWORD)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


# API tokens.


def post_token(username: str, password: str):
    return Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def test_the_token_endpoint_returns_a_token_that_authenticates(users):
    response = post_token("city", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.filter(user=users.city_admin).count() == 1
    assert Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize(
    "username, password", [("city", WRONG), ("nobody", PASSWORD), ("city", "")]
)
def test_the_token_endpoint_rejects_bad_credentials_with_401(users, username, password):
    response = post_token(username, password)
    assert response.status_code == 401
    assert response.json()["detail"] == API_LOGIN_FAILED
    assert not ApiToken.objects.exists()


def test_the_token_endpoint_refuses_an_inactive_user(users):
    User.objects.filter(pk=users.city_admin.pk).update(is_active=False)
    assert post_token("city", PASSWORD).status_code == 401
    assert not ApiToken.objects.exists()


def test_the_api_refuses_a_request_without_credentials(users):
    assert Client().get("/api/v1/persons").status_code == 401
