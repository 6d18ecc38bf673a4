"""The mixed read load of bench/load.py, for locust (run headless by that script).

Two kinds of client, in the proportion bench/load.py gives (--api-share):
  PageClient  signs in through /login like a browser (the CSRF token from the form, a session
              cookie) and reads pages;
  ApiClient   takes a bearer token from /api/v1/auth/token and reads the API.
Both are locust's FastHttpUser (geventhttpclient): the load generator shares the server's cores,
and python-requests' HttpUser spends several times more CPU per request than the server's own
API answers, which capped the measured throughput by the generator instead of the server.
Both mix person lists by town, searches (Chinese name prefix, pinyin initials, ID-number tail),
person details, class lists and class details, on ids the script sampled from the data set
(CANPEI_LOAD_SAMPLE: a JSON file of towns, person ids, class ids and search terms).

The measured run is the steady state: signing in costs an Argon2 hash each (about 0.25 s of CPU),
and 50 at once held both cores for seconds. When the last of the CANPEI_LOAD_CLIENTS clients
has signed in, the statistics are reset, the time is written to CANPEI_LOAD_READY (bench/load.py
starts its CPU counters then), and the run stops CANPEI_LOAD_SECONDS later.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, task
from locust.env import Environment

with open(os.environ["CANPEI_LOAD_SAMPLE"], encoding="utf-8") as _sample:
    SAMPLE: dict[str, list[Any]] = json.load(_sample)
USERNAME = os.environ["CANPEI_LOAD_USER"]
PASSWORD = os.environ["CANPEI_LOAD_PASSWORD"]
API_SHARE = float(os.environ.get("CANPEI_LOAD_API_SHARE", "0.5"))
# "read": the mixed read load; "floor": the cheapest signed-in page and API answer only (the
# lookup form, one person by id), what this machine serves when a request does next to nothing.
MIX = os.environ.get("CANPEI_LOAD_MIX", "read")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENTS = int(os.environ["CANPEI_LOAD_CLIENTS"])
SECONDS = float(os.environ["CANPEI_LOAD_SECONDS"])
READY = os.environ["CANPEI_LOAD_READY"]
_signed_in = 0


def signed_in(environment: Environment) -> None:
    """One more client signed in; after the last, the measured run starts (see the docstring)."""
    global _signed_in
    _signed_in += 1
    if _signed_in != CLIENTS or environment.runner is None:
        return
    environment.runner.stats.reset_all()
    with open(READY, "w", encoding="utf-8") as ready:
        ready.write(str(time.time()))
    gevent.spawn_later(SECONDS, environment.runner.quit)


def pick(key: str) -> Any:
    return random.choice(SAMPLE[key])


class PageClient(FastHttpUser):
    weight = max(1, round((1 - API_SHARE) * 100))
    wait_time = between(0, 0)

    def on_start(self) -> None:
        form = self.client.get("/login", name="/login")
        token = CSRF.search(form.text)
        if token is None:
            raise RuntimeError("no CSRF token on /login")
        answer = self.client.post(
            "/login",
            data=urlencode(
                {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
            ),
            headers={
                "Referer": f"{self.host}/login",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            name="/login",
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in failed: {answer.status_code}")
        signed_in(self.environment)

    @task(3)
    def persons_by_town(self) -> None:
        self.client.get(f"/persons?town={pick('towns')}", name="/persons?town=")

    @task(2)
    def persons_search(self) -> None:
        self.client.get(f"/persons?q={pick('searches')}", name="/persons?q=")

    @task(3)
    def person_page(self) -> None:
        self.client.get(f"/persons/{pick('persons')}", name="/persons/{id}")

    @task(1)
    def classes(self) -> None:
        self.client.get("/classes", name="/classes")

    @task(1)
    def class_page(self) -> None:
        if SAMPLE["classes"]:
            self.client.get(f"/classes/{pick('classes')}", name="/classes/{id}")

    @task(0)
    def lookup_form(self) -> None:
        self.client.get("/persons/lookup", name="/persons/lookup")


class ApiClient(FastHttpUser):
    weight = max(1, round(API_SHARE * 100))
    wait_time = between(0, 0)

    def on_start(self) -> None:
        answer = self.client.post(
            "/api/v1/auth/token",
            json={"username": USERNAME, "password": PASSWORD},
            name="/api/v1/auth/token",
        )
        if answer.status_code != 200:
            raise RuntimeError(f"token refused: {answer.status_code}")
        self.client.auth_header = f"Bearer {answer.json()['token']}"
        signed_in(self.environment)

    @task(3)
    def persons_by_town(self) -> None:
        self.client.get(f"/api/v1/persons?town={pick('towns')}", name="/api/v1/persons?town=")

    @task(2)
    def persons_search(self) -> None:
        self.client.get(f"/api/v1/persons?q={pick('searches')}", name="/api/v1/persons?q=")

    @task(3)
    def person(self) -> None:
        self.client.get(f"/api/v1/persons/{pick('persons')}", name="/api/v1/persons/{id}")

    @task(1)
    def classes(self) -> None:
        self.client.get("/api/v1/classes", name="/api/v1/classes")

    @task(1)
    def training_class(self) -> None:
        if SAMPLE["classes"]:
            self.client.get(f"/api/v1/classes/{pick('classes')}", name="/api/v1/classes/{id}")


if MIX == "floor":
    PageClient.tasks = [PageClient.lookup_form]
    ApiClient.tasks = [ApiClient.person]
elif MIX != "read":
    raise RuntimeError(f"unknown CANPEI_LOAD_MIX {MIX!r}")
