"""The English UI is English (issue 13): on the pages a clerk works with every day, opened with
the language set to English, no Chinese is left but the records' own data (names of persons,
towns, institutions, classes, skills). A string of the UI missing from the English catalogue,
or shown without going through the translation machinery, fails here with the page and text."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from canpei.institutions.models import Institution
from canpei.people.models import Person, Skill
from canpei.people.surveys import services as surveys
from canpei.regions.models import Region
from canpei.training.models import Enrollment, TrainingClass
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

HAN = re.compile(r"[\u4e00-\u9fff]+")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # The language switch names each language in itself (中文).
    html = re.sub(r'<option [^>]*lang="zh-CN"[^>]*>.*?</option>', " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", html)
    # What the UI says in attributes a person meets: labels, titles, placeholders.
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', html)
    return text + "\n" + "\n".join(attributes)


def _data() -> list[str]:
    """The records' own words, longest first (so a class named after its town goes whole)."""
    words: set[str] = set()
    words |= set(Person.objects.values_list("name", flat=True))
    words |= set(Region.objects.values_list("name", flat=True))
    words |= set(Institution.objects.values_list("name", flat=True))
    words |= set(Skill.objects.values_list("name", flat=True))
    for row in TrainingClass.objects.values_list("name", "occupation", "venue", "industry"):
        words |= set(row)
    # The trainees' training results (培训成绩) are free text the institution typed.
    words |= set(Enrollment.objects.values_list("result", flat=True))
    words |= {"甲鞋业公司"}
    return sorted((w for w in words if w), key=len, reverse=True)


def untranslated(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    text = _visible_text(response.content.decode())
    for word in _data():
        text = text.replace(word, " ")
    return sorted({m.group(0) for m in HAN.finditer(text)})


@pytest.fixture
def english(users: Any) -> Any:
    def client_for(role: str) -> Client:
        client = Client()
        client.force_login(getattr(users, role))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return client_for


def test_the_daily_pages_have_no_chinese_left_in_english(
    english: Any, users: Any, make_class: Any, person_in: Any
) -> None:
    training_class = make_class("completed", trainees=2)
    survey = surveys.survey_create(
        actor=users.city_admin,
        data={
            "person": person_in.pk,
            "year": 2024,
            "surveyed_on": dt.date(2024, 5, 10),
            "employment_form": "1",
            "employer": "甲鞋业公司",
        },
    )
    pages = {
        "town_staff": [
            "/persons",
            f"/persons/{person_in.pk}",
            "/surveys?year=",
            f"/surveys/{survey.pk}",
            f"/surveys/new?person={person_in.pk}",
        ],
        "institution_staff": [
            "/classes",
            f"/classes/{training_class.pk}/results",
            f"/classes/{training_class.pk}/print/application",
            f"/classes/{training_class.pk}/print/sign-in",
            f"/classes/{training_class.pk}/print/completion",
            f"/classes/{training_class.pk}/print/certificates",
        ],
    }
    found = {
        path: words
        for role, paths in pages.items()
        for path in paths
        if (words := untranslated(english(role), path))
    }
    assert found == {}, found


# ---- the whole UI: every page of the URL table, as every role, over the demo data -----------
#
# The demo (canpei.demo) holds a record of every kind in its states (persons, surveys,
# institutions designated to revoked, classes from draft to settled, applications, follow-ups,
# employment services, funds, competitions and typical cases, alerts, the audit log, plans and
# targets) and an account of every role; an import run by a town clerk adds an import job. Each
# page of canpei.web.urls is opened in English as each role; a role the page is not for gets a
# 404 (or a redirect) and is passed over, but every page must open for at least one role.

WALK_ROLES = ["city", "anhai", "school", "employment", "auditor", "sysadmin", "secadmin",
              "auditadmin"]  # fmt: skip

# URL names that are no page to read, each with the reason.
NOT_PAGES: dict[str, str] = {
    "help": "the manuals (docs/manual-*.md) are Chinese documents, shown as written",
    "help_page": "the manuals (docs/manual-*.md) are Chinese documents, shown as written",
    "help_image": "an image of the manuals",
    "logout": "an action (POST)",
    "login-otp": "the second step of an officer's login, reached only from the login form",
    "set_language": "an action (POST)",
    "import-template": "a download (the template workbook)",
    "import-report": "a download (the import report workbook)",
    "institution-export": "a download (a ledger)",
    "export": "a download (a ledger)",
    "audit-export": "a download (a ledger)",
    "audit-anchor": "a download (the signed head of the log)",
    "person-identity": "an action (POST)",
    "person-status": "an action (POST)",
    "institution-transition": "an action (POST)",
    "teacher-add": "an action (POST)",
    "teacher-active": "an action (POST)",
    "class-transition": "an action (POST)",
    "class-enroll-candidate": "an action (POST)",
    "inspection-rectified": "an action (POST)",
    "enrollment-withdraw": "an action (POST)",
    "enrollment-remove": "an action (POST)",
    "application-transition": "an action (POST)",
    "funds-reverse": "an action (POST)",
    "competition-enter": "an action (POST)",
    "case-step": "an action (POST)",
    "alert_transition": "an action (POST)",
    "user-active": "an action (POST)",
    "user-tokens-revoke": "an action (POST)",
    "role-decide": "an action (POST)",
}


# Records whose texts are no words of their own: an alert's sentence and its links' labels
# are rendered in the reader's language from its message code (their data, names and classes,
# are other records' words).
NOT_RECORD_WORDS = {"supervision.alert"}


def _han_words_of_records() -> list[str]:
    """Every text a record holds (its char, text and JSON fields), the records' own words."""
    from django.apps import apps
    from django.db import models

    words: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if HAN.search(value):
                words.add(value)
                words.update(part.strip() for part in value.splitlines() if HAN.search(part))
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for model in apps.get_models():
        if model._meta.label_lower in NOT_RECORD_WORDS:
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                collect(list(row))
    return sorted(words, key=len, reverse=True)


def _words_of_import_files() -> list[str]:
    """The column names (and their synonyms, values and examples) a clerk's file is read by,
    which the upload page lists: Chinese by design, as the files are."""
    from django.utils import translation

    from canpei.spreadsheets import registry

    words: list[str] = []
    with translation.override(settings.LANGUAGE_CODE):
        for spec in registry.import_specs():
            for column in spec.column_help():
                texts = [column.header, *column.synonyms, *column.values, column.example]
                words += [str(text) for text in texts if HAN.search(str(text))]
    return words


class RecordWords:
    """Finds which Han characters of a text belong to records' words: each word is indexed by
    its first Han character, so a page is gone through once whatever the number of words."""

    def __init__(self, words: list[str]) -> None:
        self.by_char: dict[str, list[tuple[int, str]]] = {}
        for word in words:  # longest first
            first = HAN.search(word)
            assert first is not None
            self.by_char.setdefault(word[first.start()], []).append((first.start(), word))

    def leftover(self, text: str) -> list[str]:
        covered = bytearray(len(text))
        for match in HAN.finditer(text):
            for position in range(match.start(), match.end()):
                if covered[position]:
                    continue
                for offset, word in self.by_char.get(text[position], ()):
                    start = position - offset
                    if start >= 0 and text.startswith(word, start):
                        covered[start : start + len(word)] = b"\x01" * len(word)
                        break
        left = "".join(ch if not covered[i] else " " for i, ch in enumerate(text))
        return sorted({m.group(0) for m in HAN.finditer(left)})


@dataclass
class World:
    ids: dict[str, list[Any]]
    words: RecordWords


def _spread(queryset: Any, by: str | None = None, limit: int = 40) -> list[Any]:
    """A few primary keys of `queryset`, one for each distinct `by` (town, institution, state)."""
    if by is None:
        return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
    seen: dict[Any, Any] = {}
    for pk, key in queryset.order_by("pk").values_list("pk", by):
        seen.setdefault(key, pk)
    return list(seen.values())[:limit]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    from django.apps import apps
    from django.db import transaction

    from canpei.accounts.models import User
    from canpei.demo import demo_load
    from canpei.spreadsheets import jobs

    def model(label: str) -> Any:
        return apps.get_model(label)

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_load(persons=300, seed=1)
            clerk = User.objects.get(username="anhai")
            jobs.job_start(
                actor=clerk,
                kind="persons",
                filename="名册.csv",
                data="姓名,备注\n张三,无\n".encode(),
                dry_run=True,
            )
            persons = model("people.Person").objects.all()
            classes = model("training.TrainingClass").objects.all()
            ids: dict[str, list[Any]] = {
                "person": _spread(persons, "town_id"),
                "survey": _spread(model("people.Survey").objects.all(), "person__town_id"),
                "institution": _spread(model("institutions.Institution").objects.all()),
                "class": _spread(classes, "institution_id"),
                "enrollment": _spread(
                    model("training.Enrollment").objects.all(), "training_class__institution_id"
                ),
                "application": _spread(model("training.Application").objects.all(), "state"),
                "staff-training": _spread(model("training.StaffTraining").objects.all()),
                "disbursement": _spread(model("funds.Disbursement").objects.all(), "purpose"),
                "followup": _spread(model("employment.FollowUp").objects.all(), "person__town_id"),
                "service": _spread(
                    model("employment.EmploymentService").objects.all(), "person__town_id"
                ),
                "competition": _spread(model("competitions.Competition").objects.all()),
                "case": _spread(model("competitions.TypicalCase").objects.all()),
                "alert": _spread(model("supervision.Alert").objects.all(), "rule"),
                "user": _spread(User.objects.all(), "role"),
                "import": list(
                    model("spreadsheets.ImportJob").objects.values_list("token", flat=True)
                ),
            }
            for state in classes.values_list("state", flat=True).distinct():
                ids[f"class:{state}"] = _spread(classes.filter(state=state), "institution_id")
            entries = model("competitions.Entry").objects.all()
            ids["entry"] = [
                (entry.event.competition_id, entry.pk)
                for entry in entries.select_related("event").order_by("pk")[:4]
            ]
            inspections = model("training.Inspection").objects.order_by("pk")
            ids["inspection"] = [(i.training_class_id, i.pk) for i in inspections[:4]]
            assert all(ids.values()), [kind for kind, found in ids.items() if not found]
            words = _han_words_of_records() + _words_of_import_files()
            yield World(ids=ids, words=RecordWords(sorted(words, key=len, reverse=True)))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _paths(world: World, name: str, variant: str) -> list[str]:
    """The paths of page `name` to try, one for each record picked for it."""
    from django.urls import reverse

    ids = world.ids
    one = {
        "person-detail": ("person", "person_id"),
        "person-edit": ("person", "person_id"),
        "survey-detail": ("survey", "survey_id"),
        "survey-edit": ("survey", "survey_id"),
        "institution-detail": ("institution", "institution_id"),
        "institution-edit": ("institution", "institution_id"),
        "class-edit": ("class:draft", "class_id"),
        "class-enroll": ("class", "class_id"),
        "class-results": ("class", "class_id"),
        "class-register": ("class", "class_id"),
        "class-register-grid": ("class", "class_id"),
        "print-class-application": ("class", "class_id"),
        "print-sign-in": ("class", "class_id"),
        "print-completion": ("class", "class_id"),
        "print-certificates": ("class", "class_id"),
        "inspection-create": ("class:running", "class_id"),
        "enrollment-edit": ("enrollment", "enrollment_id"),
        "application-detail": ("application", "application_id"),
        "application-edit": ("application", "application_id"),
        "staff-training-detail": ("staff-training", "record_id"),
        "staff-training-edit": ("staff-training", "record_id"),
        "funds-disbursement": ("disbursement", "disbursement_id"),
        "followup_detail": ("followup", "followup_id"),
        "followup_edit": ("followup", "followup_id"),
        "service_detail": ("service", "service_id"),
        "service_edit": ("service", "service_id"),
        "competition-detail": ("competition", "competition_id"),
        "competition-edit": ("competition", "competition_id"),
        "case-detail": ("case", "case_id"),
        "case-edit": ("case", "case_id"),
        "alert_detail": ("alert", "alert_id"),
        "user-role": ("user", "user_id"),
        "import-detail": ("import", "token"),
    }
    if name == "class-detail":
        return [reverse(name, kwargs={"class_id": pk}) for pk in ids[f"class:{variant}"]]
    if name == "funds-new":
        return [reverse(name, kwargs={"kind": variant})]
    if name == "entry-result":
        return [reverse(name, kwargs={"competition_id": c, "entry_id": e}) for c, e in ids["entry"]]
    if name in one:
        kind, key = one[name]
        return [reverse(name, kwargs={key: pk}) for pk in ids[kind]]
    path = reverse(name)
    if variant == "person":
        return [f"{path}?person={pk}" for pk in ids["person"]]
    return [path]


CLASS_STATES = ["draft", "submitted", "returned", "approved", "running", "completed",
                "audit_failed", "audited", "settled", "cancelled"]  # fmt: skip
FUNDS_KINDS = ["budget", "standard", "donation", "contract", "disbursement"]
# Pages opened in several ways: a class in each state, each kind of funds record, a form for a
# person chosen beforehand ("person") or the page that has the person chosen first ("").
PAGE_VARIANTS = {
    "class-detail": CLASS_STATES,
    "funds-new": FUNDS_KINDS,
    "application-create": ["", "person"],
    "survey-create": ["person"],
    "service_new": ["", "person"],
}


def _page_names() -> list[str]:
    from canpei.web import urls

    return [p.name for p in urls.urlpatterns if p.name]  # type: ignore[union-attr]


def _page_params() -> list[Any]:
    params = []
    for name in _page_names():
        if name in NOT_PAGES:
            continue
        variants = PAGE_VARIANTS.get(name, [""])
        for variant in variants:
            page = f"{name}[{variant}]" if variant else name
            params.append(pytest.param(name, variant, id=page))
    return params


def _open_as(username: str) -> Client:
    from canpei.accounts.models import User

    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant"), _page_params())
def test_every_page_is_english_for_every_role(
    world: World, db: Any, name: str, variant: str
) -> None:
    paths = _paths(world, name, variant)
    roles = [""] if name == "login" else WALK_ROLES
    opened: list[str] = []
    found: dict[str, list[str]] = {}
    # An officer binds an authenticator app only where the second factor is required.
    with override_settings(ADMIN_TOTP_REQUIRED=name == "totp-setup"):
        for role in roles:
            _walk_as(world, role, paths, opened, found)
    assert opened, f"no role could open {name} {variant}: {paths}"
    assert found == {}, found


def _walk_as(
    world: World, role: str, paths: list[str], opened: list[str], found: dict[str, list[str]]
) -> None:
    """Opens the first of `paths` that `role` may see (one record of the page for each role)."""
    client = _open_as(role)
    for path in paths:
        response = client.get(path)
        if response.status_code in (302, 403, 404, 405):
            continue  # not this role's page, or not this record's
        assert response.status_code == 200, (role, path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), (role, path)
        opened.append(f"{role or 'anonymous'} {path}")
        words = world.words.leftover(html.unescape(_visible_text(response.content.decode())))
        if words:
            found[f"{role or 'anonymous'} {path}"] = words
        return


def test_the_walk_knows_every_page() -> None:
    """A page added to the URL table is walked, or listed as no page with its reason."""
    names = set(_page_names())
    assert set(NOT_PAGES) <= names, set(NOT_PAGES) - names
    walked = {p.values[0] for p in _page_params()}
    assert walked | set(NOT_PAGES) == names
