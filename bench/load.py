"""Load benchmark: `canpei run` as shipped, driven by many concurrent clients.

Usage:  DATABASE_URL=postgres://... python bench/load.py [--persons 30000] [--clients 50]
            [--seconds 60] [--workers N] [--api-share 0.5] [--mix read|floor] [--port 8765]
            [--restart-db [--restart-after S] [--down-seconds 5]]

It prepares the data set as bench/persons.py does (N persons through canpei.demo.demo_load,
into a database whose name contains "bench" unless --reset), samples towns, person and class
ids and search terms (Chinese name prefixes, pinyin initials, ID-number tails) from it, creates
a city administrator with a password, and starts `canpei run --no-worker` (gunicorn, the
worker count of --workers or canpei run's own default) on 127.0.0.1. Then locust, headless,
runs bench/locustfile.py: --clients clients (a share --api-share of them on the API with a
bearer token, the rest signed in through /login like a browser with a session cookie), each
sending its next request as soon as the last one answered. --mix read (the default) mixes person
lists by town, searches, person pages, class lists and class pages; --mix floor sends only the
cheapest signed-in page (the ID-number lookup form: the session, the user, a small template) and
the cheapest API answer (one person by id): what this machine serves when a request does next
to nothing, a ceiling for any read mix on it. The measured run is the steady state: it starts
when the last client has signed in (an Argon2 hash each, about 0.25 s of CPU: 50 sign-ins at
once held both cores for seconds) and lasts --seconds seconds; the sign-ins are left out of the
figures and of the CPU counts.

It prints, for pages, for the API and for all: requests/s, p50, p95, p99 and errors, and the CPU
time per request of the three parties sharing the machine (from /proc): the server (gunicorn's
processes), PostgreSQL (every process named postgres on this machine: a database elsewhere
counts 0) and the load generator (locust), with the throughput their sum allows on this
machine's cores — what the run would reach if nothing but CPU limited it. The bar of QUALITY.md for a
mixed read load of 50 clients: >= 300 requests/s, p95 <= 300 ms, 0 errors. This is not a timed
test: it exits non-zero only when the server does not start or a request fails.

--restart-db (QUALITY.md: PostgreSQL restarted under load) stops the local cluster that
DATABASE_URL names --restart-after seconds into the run (default: 40 % of it), keeps it down
--down-seconds, and starts it again (bench/dbrestart.py: pg_ctlcluster for a Debian cluster,
pg_ctl otherwise; run as root, as the cluster's owner). It prints the failures during the outage
and outside it, how long after the start requests succeeded again, and the slowest request
against gunicorn's 30 s timeout; it then exits non-zero only for a failure outside the outage,
no recovery, or a request that reached the timeout. Only on a cluster on this machine: the
database host must be the loopback address.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import dbrestart  # noqa: E402
import persons as data_set  # noqa: E402  (bench/persons.py: Django set up, the data set)
from django.db import connection  # noqa: E402

from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.people.models import Person  # noqa: E402
from canpei.training.models import TrainingClass  # noqa: E402

LOAD_USER = "bench_load"
BARS = {"requests/s": 300.0, "p95 ms": 300.0}
# gunicorn's worker timeout (canpei run keeps its default): a request that takes this long is
# killed with its worker, so a slowest request below it means none hung.
REQUEST_TIMEOUT_MS = 30_000.0
# How long all the clients may take to sign in before the measured run (an Argon2 hash each).
SIGN_IN_SECONDS = 120


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_user() -> str:
    """A city administrator with a fresh random password (no change pending, no TOTP)."""
    password = "Load-" + secrets.token_urlsafe(12)
    user = User.objects.filter(username=LOAD_USER).first() or User(
        username=LOAD_USER, role=Role.CITY_ADMIN, first_name="load benchmark"
    )
    user.set_password(password)
    user.must_change_password = False
    user.is_active = True
    user.save()
    return password


def sample(path: str) -> None:
    """Towns, person and class ids and search terms of the data set, for the locustfile."""
    persons = list(
        Person.objects.order_by("?").values_list(
            "pk", "town_id", "name", "name_initials", "id_tail"
        )[:2000]
    )
    searches = (
        [name[:1] for _pk, _t, name, _i, _tail in persons[:200]]
        + [initials for _pk, _t, _n, initials, _tail in persons[:200] if initials]
        + [tail for _pk, _t, _n, _i, tail in persons[:200] if tail]
    )
    chosen = {
        "towns": sorted({town for _pk, town, _n, _i, _t in persons}),
        "persons": [pk for pk, *_rest in persons],
        "classes": list(TrainingClass.objects.order_by("?").values_list("pk", flat=True)[:500]),
        "searches": searches,
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(chosen, handle, ensure_ascii=False)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its children, living and reaped (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids, seen = [pid], 0
    while seen < len(pids):  # the whole tree: canpei run, gunicorn's master, its workers
        for task in Path(f"/proc/{pids[seen]}/task").glob("*"):
            with contextlib.suppress(FileNotFoundError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        seen += 1
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat (0-based 11-14 after the name).
        total += sum(int(x) for x in fields[11:15]) / ticks
    return total


def cpu_by_name(name: str) -> dict[int, float]:
    """CPU seconds (user + system, with reaped children) of every process called `name`."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != name:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found[int(proc.name)] = sum(int(x) for x in fields[11:15]) / ticks
    return found


def cpu_since(before: dict[int, float], name: str) -> float:
    """CPU of the processes called `name` since `before` (a backend that ended in between is in
    its postmaster's reaped-children time)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in cpu_by_name(name).items())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"canpei run did not answer at {url} within {seconds:.0f} s")


def stats_rows(prefix: str) -> list[dict[str, str]]:
    with open(prefix + "_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _weighted(rows: list[dict[str, str]], column: str) -> float:
    """A request-weighted mean of the rows' percentiles: an approximation for a kind of several
    endpoints, exact for "all" (locust's own aggregate row)."""
    requests = sum(int(r["Request Count"]) for r in rows)
    return sum(float(r[column] or 0) * int(r["Request Count"]) for r in rows) / requests


def summarise(
    rows: list[dict[str, str]], seconds: float
) -> list[tuple[str, int, float, float, float, float, int]]:
    """(kind, requests, requests/s, p50, p95, p99, failures) for pages, API and all, from
    locust's per-endpoint rows (percentiles of a kind: the largest of its endpoints')."""
    kinds = {
        "pages": [
            r
            for r in rows
            if r["Name"] not in ("Aggregated",)
            and not r["Name"].startswith("/api/")
            and r["Name"] != "/login"
        ],
        "api": [
            r for r in rows if r["Name"].startswith("/api/") and r["Name"] != "/api/v1/auth/token"
        ],
        "all": [r for r in rows if r["Name"] == "Aggregated"],
    }
    summary = []
    for kind, chosen in kinds.items():
        requests = sum(int(r["Request Count"]) for r in chosen)
        if not requests:
            continue

        summary.append(
            (
                kind,
                requests,
                requests / seconds,
                _weighted(chosen, "50%"),
                _weighted(chosen, "95%"),
                _weighted(chosen, "99%"),
                sum(int(r["Failure Count"]) for r in chosen),
            )
        )
    return summary


def restart_plan(after: float, down: float) -> dbrestart.Restart:
    """The restart of the cluster DATABASE_URL names, refused for a database on another host."""
    if connection.vendor != "postgresql":
        raise SystemExit("--restart-db needs PostgreSQL (DATABASE_URL)")
    host = str(connection.settings_dict.get("HOST") or "")
    if host not in ("", "127.0.0.1", "localhost", "::1") and not host.startswith("/"):
        raise SystemExit("--restart-db restarts a cluster on this machine only (loopback host)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = cursor.fetchone()[0]
        cursor.execute("SHOW config_file")
        config_file = cursor.fetchone()[0]
    connection.close()
    return dbrestart.Restart(
        cluster=dbrestart.local_cluster(data_directory, config_file), after=after, down=down
    )


def restart_report(
    restart: dbrestart.Restart, history: list[dict[str, str]], slowest_ms: float
) -> bool:
    """Print what the restart did to the run; True when the app came through it as it must."""
    if restart.errors or not restart.started_at:
        for error in restart.errors:
            print(f"restart: {error}")
        print("restart: the cluster was not restarted")
        return False
    result = dbrestart.outcome(history, restart.stopped_at, restart.started_at)
    print(
        f"restart: database down {restart.started_at - restart.stopped_at:.1f} s; "
        f"failures during the outage (and {dbrestart.GRACE_SECONDS:.0f} s after) "
        f"{result.failures_during}, outside it {result.failures_outside}"
    )
    for second, failed in result.outside_seconds[:10]:
        print(f"restart: {failed} failures {second:+.0f} s from the start")
    if result.recovered_after is None:
        print("restart: requests did not succeed again after the database came back")
    else:
        print(f"restart: requests succeeded again {result.recovered_after:.1f} s after the start")
    print(
        f"restart: slowest request {slowest_ms:,.0f} ms "
        f"(gunicorn's timeout {REQUEST_TIMEOUT_MS / 1000:.0f} s)"
    )
    return (
        not result.failures_outside
        and result.recovered_after is not None
        and slowest_ms < REQUEST_TIMEOUT_MS
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=30000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (0: canpei run's default)"
    )
    parser.add_argument("--api-share", type=float, default=0.5)
    parser.add_argument(
        "--mix",
        choices=("read", "floor"),
        default="read",
        help="read: the mixed read load; floor: the cheapest signed-in page and API answer only",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying a database not named *bench*"
    )
    parser.add_argument(
        "--restart-db", action="store_true", help="restart the local PostgreSQL cluster mid-run"
    )
    parser.add_argument(
        "--restart-after", type=float, default=None, help="seconds into the run (default 40 %%)"
    )
    parser.add_argument("--down-seconds", type=float, default=5.0)
    args = parser.parse_args()

    data_set.ensure_data(args.persons, args.seed, args.reset)
    try:
        # The field key (CANPEI_FIELD_KEY or the var dir's) must be the one the data set was
        # encrypted with, or every page showing a person fails.
        first = Person.objects.order_by("pk").first()
        assert first is not None and first.id_number
    except Exception as exc:
        raise SystemExit(
            f"the persons' ID numbers cannot be decrypted with this field key "
            f"({type(exc).__name__}): use the CANPEI_VAR_DIR or CANPEI_FIELD_KEY the "
            "data set was loaded with, or a fresh database"
        ) from None
    password = load_user()
    restart = (
        restart_plan(
            args.seconds * 0.4 if args.restart_after is None else args.restart_after,
            args.down_seconds,
        )
        if args.restart_db
        else None
    )
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        sample_path = os.path.join(tmp, "sample.json")
        sample(sample_path)
        env = {
            **os.environ,
            "CANPEI_SECURE_COOKIES": "0",
            "CANPEI_ADMIN_TOTP": "0",
            "CANPEI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        command = [
            sys.executable,
            "-m",
            "canpei",
            "run",
            "--no-worker",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
        ]
        if args.workers:
            command += ["--workers", str(args.workers)]
        log("starting " + " ".join(command[2:]) + " ...")
        server_log = open(os.path.join(tmp, "server.log"), "wb")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=server_log, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_until_up(url, 60)
            except SystemExit:
                server_log.flush()
                log(Path(server_log.name).read_text(errors="replace")[-3000:])
                raise
            prefix = os.path.join(tmp, "load")
            ready_path = os.path.join(tmp, "ready")
            log(f"locust: {args.clients} clients signing in, then {args.seconds} s measured ...")
            reaped_before = children_cpu()
            locust = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(BENCH / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.clients),
                    "--spawn-rate",
                    str(args.clients),
                    # A bound only: the locustfile stops the run --seconds after the last sign-in.
                    "--run-time",
                    f"{args.seconds + SIGN_IN_SECONDS}s",
                    "--host",
                    url,
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--csv-full-history",
                    "--loglevel",
                    "WARNING",
                    "--exit-code-on-error",
                    "0",
                ],
                env={
                    **env,
                    "CANPEI_LOAD_SAMPLE": sample_path,
                    "CANPEI_LOAD_USER": LOAD_USER,
                    "CANPEI_LOAD_PASSWORD": password,
                    "CANPEI_LOAD_API_SHARE": str(args.api_share),
                    "CANPEI_LOAD_MIX": args.mix,
                    "CANPEI_LOAD_CLIENTS": str(args.clients),
                    "CANPEI_LOAD_SECONDS": str(args.seconds),
                    "CANPEI_LOAD_READY": ready_path,
                },
                stdout=subprocess.DEVNULL,
            )
            signing_in = time.monotonic()
            while not os.path.exists(ready_path):
                if locust.poll() is not None or time.monotonic() - signing_in > SIGN_IN_SECONDS:
                    locust.kill()
                    raise SystemExit("the clients did not all sign in: no measured run")
                time.sleep(0.05)
            log(f"signed in after {time.monotonic() - signing_in:.1f} s; measuring ...")
            cpu_before = cpu_seconds(server.pid)
            postgres_before = cpu_by_name("postgres")
            locust_before = reaped_before + cpu_seconds(locust.pid)
            started = time.monotonic()
            if restart is not None:
                restart.begin()
            locust.wait()
            elapsed = time.monotonic() - started
            if locust.returncode:
                raise SystemExit(f"locust exited with {locust.returncode}")
            cpu = cpu_seconds(server.pid) - cpu_before
            others = {
                "PostgreSQL": cpu_since(postgres_before, "postgres"),
                "load generator": children_cpu() - locust_before,
            }
            rows = stats_rows(prefix)
            with open(prefix + "_failures.csv", encoding="utf-8") as handle:
                failed_rows = list(csv.DictReader(handle))
            history: list[dict[str, str]] = []
            if restart is not None:
                restart.join()
                with open(prefix + "_stats_history.csv", encoding="utf-8") as handle:
                    history = list(csv.DictReader(handle))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Measured already: a graceful shutdown that hangs does not void the run.
                log("canpei run did not stop within 30 s of SIGTERM: killed")
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            server_log.close()

    total, failures = print_summary(args, rows, failed_rows, elapsed, cpu, others)
    if restart is not None:
        slowest = max(float(r["Max Response Time"] or 0) for r in rows)
        return 0 if total and restart_report(restart, history, slowest) else 1
    return 1 if failures or not total else 0


def print_summary(
    args: argparse.Namespace,
    rows: list[dict[str, str]],
    failed_rows: list[dict[str, str]],
    elapsed: float,
    cpu: float,
    others: dict[str, float],
) -> tuple[int, int]:
    """Print the run's table; (requests, failures) of all requests."""
    summary = summarise(rows, args.seconds)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# load benchmark: {args.persons:,} persons, {args.clients} clients for {args.seconds} s "
        f"(ran {elapsed:.0f} s), api share {args.api_share}, mix {args.mix}; "
        f"load average {load} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'':<8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    total = 0
    failures = 0
    for kind, requests, rate, p50, p95, p99, failed in summary:
        print(f"{kind:<8}{requests:>10,}{rate:>9.0f}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{failed:>8}")
        if kind == "all":
            total, failures = requests, failed
            verdict = (
                "MET"
                if rate >= BARS["requests/s"] and p95 <= BARS["p95 ms"] and not failed
                else "missed"
            )
            print(f"bar (>= 300 req/s, p95 <= 300 ms, 0 errors): {verdict}")
    for row in failed_rows[:10]:
        print(
            f"failed: {row['Method']} {row['Name']}: {row['Error'][:120]} ({row['Occurrences']} times)"
        )
    if total:
        print(f"server CPU per request: {cpu / total * 1000:.1f} ms ({cpu:.1f} s of CPU)")
        for name, seconds in others.items():
            print(
                f"{name} CPU per request: {seconds / total * 1000:.1f} ms ({seconds:.1f} s of CPU)"
            )
        every = cpu + sum(others.values())
        cores = os.cpu_count() or 1
        print(
            f"all three: {every / total * 1000:.1f} ms of CPU per request, so at most "
            f"{total / every * cores:.0f} requests/s on {cores} cores if CPU alone limited it"
        )
    return total, failures


if __name__ == "__main__":
    raise SystemExit(main())
