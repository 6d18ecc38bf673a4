"""`canpei backup` / `canpei restore`, run as an operator would: the command in a subprocess
against a database of its own (a file-backed SQLite var dir; when DATABASE_URL points at
PostgreSQL, also a `canpei_bk_…` database created for the module), never the test database."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Test-pass-2026"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = DATABASE_URL.startswith(("postgres://", "postgresql://"))

pytestmark = pytest.mark.slow


@dataclass
class Site:
    """One Canpei installation: its var dir and database."""

    kind: str
    env: dict[str, str]
    url: str = ""

    def canpei(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "canpei", *argv],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )

    def sql(self, *statements: str) -> list[Any]:
        """Run statements straight on the database; the rows of the last one."""
        if self.kind == "sqlite":
            db = sqlite3.connect(Path(self.env["CANPEI_VAR_DIR"]) / "canpei.sqlite3")
            try:
                rows: list[Any] = []
                for statement in statements:
                    rows = db.execute(statement).fetchall()
                db.commit()
                return rows
            finally:
                db.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as pg:
            rows = []
            for statement in statements:
                cursor = pg.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
            return rows

    def counts(self) -> dict[str, int]:
        """Rows of every table: a restore must bring back all of them, not only the main ones."""
        if self.kind == "sqlite":
            tables = [
                r[0]
                for r in self.sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
        else:
            tables = [
                r[0]
                for r in self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ]
        return {table: self.sql(f'SELECT count(*) FROM "{table}"')[0][0] for table in tables}

    def tamper_audit_log(self) -> None:
        """What an intruder with the database owner's rights could do: bypass the trigger."""
        change = (
            "UPDATE audit_auditentry SET summary = summary || ' (changed)' "
            "WHERE id = (SELECT min(id) + 3 FROM audit_auditentry)"
        )
        if self.kind == "sqlite":
            trigger = self.sql(
                "SELECT sql FROM sqlite_master WHERE name = 'audit_auditentry_no_update'"
            )[0][0]
            self.sql("DROP TRIGGER audit_auditentry_no_update", change, trigger)
        else:
            self.sql(
                "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_no_update",
                change,
                "ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_no_update",
            )


def _other_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not ON_POSTGRESQL, reason="DATABASE_URL does not point at PostgreSQL"
            ),
        ),
    ],
)
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site with the demo data (50 persons): the starting point of every test here."""
    var = tmp_path_factory.mktemp(f"site-{request.param}") / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CANPEI_USER", "CANPEI_FIELD_KEY", "CANPEI_AUDIT_KEY")
    }
    env.update(CANPEI_VAR_DIR=str(var), CANPEI_PASSWORD=PASSWORD, CANPEI_TASKS="immediate")
    site = Site(kind=request.param, env=env)
    admin_url = ""
    if site.kind == "postgresql":
        import psycopg

        name = f"canpei_bk_test_{os.getpid()}"
        admin_url = _other_database(DATABASE_URL, "postgres")
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name}")
            db.execute(f"CREATE DATABASE {name}")
        site.url = env["DATABASE_URL"] = _other_database(DATABASE_URL, name)
    try:
        demo = site.canpei("demo", "--persons", "50")
        assert demo.returncode == 0, demo.stderr[-2000:]
        yield site
    finally:
        if admin_url:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as db:
                db.execute(f"DROP DATABASE IF EXISTS {site.url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="module")
def pristine(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the demo as loaded, for the tests that need a good backup to start from."""
    path = tmp_path_factory.mktemp("pristine") / "demo.canpei"
    made = site.canpei("backup", str(path))
    assert made.returncode == 0, made.stderr
    return path


def audit_key(site: Site) -> str:
    return (Path(site.env["CANPEI_VAR_DIR"]) / "audit.key").read_text().strip()


def _rewrite(
    backup: Path,
    out: Path,
    content: bytes | None = None,
    *,
    sign_with: str | None = None,
    **manifest: Any,
) -> Path:
    """A copy of a backup with manifest fields (and perhaps the payload) replaced; signed again
    with `sign_with` (an audit key), as only the key holder could, else left as it was."""
    import hashlib

    from django.test import override_settings

    from canpei.audit.keys import manifest_signature

    with tarfile.open(backup) as tar:
        data = json.loads(tar.extractfile(tar.getmember("canpei-backup.json")).read())  # type: ignore[union-attr]
        name = data["payload"]
        body = tar.extractfile(tar.getmember(name)).read() if content is None else content  # type: ignore[union-attr]
    if content is not None:
        data.update(size=len(body), sha256=hashlib.sha256(body).hexdigest())
    data.update(manifest)
    if sign_with is not None:
        with override_settings(AUDIT_KEY=sign_with):
            data["signature"] = manifest_signature(
                {k: v for k, v in data.items() if k != "signature"}
            )
    with tarfile.open(out, "w") as tar:
        for member_name, blob in (
            ("canpei-backup.json", json.dumps(data).encode()),
            (data["payload"], body),
        ):
            info = tarfile.TarInfo(member_name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return out


def test_restore_brings_back_every_row_and_a_verifying_audit_chain(site, pristine, tmp_path):
    before = site.counts()
    backup = tmp_path / "nightly.canpei"
    made = site.canpei("backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert backup.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert (backup.stat().st_mode & 0o077) == 0, "a backup holds personal data: owner only"
    # The row counts of the main tables, and the reminder of the field key, never the key.
    assert f"残疾人　 {before['people_person']:>8} 行" in made.stdout
    assert f"审计日志 {before['audit_auditentry']:>8} 行" in made.stdout
    assert "field.key" in made.stdout and "audit.key" in made.stdout
    key = (Path(site.env["CANPEI_VAR_DIR"]) / "field.key").read_text().strip()
    assert key not in made.stdout + made.stderr
    assert audit_key(site) not in made.stdout + made.stderr + backup.read_bytes().decode("latin-1")

    # Life goes on after the backup: an account is added (with its audit entry), rows vanish.
    assert site.canpei("createuser", "late.user", "--role", "city_admin").returncode == 0
    site.sql("DELETE FROM training_attendance")
    assert site.counts() != before

    restored = site.canpei("restore", "--yes", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert f"审计日志完整：已校验 {before['audit_auditentry']} 条" in restored.stdout
    assert site.counts() == before
    assert site.sql("SELECT count(*) FROM accounts_user WHERE username = 'late.user'")[0][0] == 0
    verified = site.canpei("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # The append-only triggers came back with the data.
    with pytest.raises(Exception, match="append-only"):
        site.sql("DELETE FROM audit_auditentry")
    # And the restored site keeps working: new audited writes chain onto the restored log.
    assert site.canpei("createuser", "after.restore", "--role", "city_admin").returncode == 0
    assert site.canpei("audit", "verify").returncode == 0


def test_a_file_that_is_no_good_backup_is_refused_and_the_database_is_untouched(
    site, pristine, tmp_path
):
    before = site.counts()
    text = tmp_path / "notes.txt"
    text.write_text("这不是备份\n")
    plain_tar = tmp_path / "other.tar"
    with tarfile.open(plain_tar, "w") as tar:
        tar.add(text, arcname="notes.txt")
    truncated = tmp_path / "truncated.canpei"
    truncated.write_bytes(pristine.read_bytes()[: pristine.stat().st_size // 2])
    # Checksum right, contents not a database: the engine itself rejects it, mid-restore.
    garbage = _rewrite(
        pristine,
        tmp_path / "garbage.canpei",
        content=b"\0garbage" * 4096,
        sign_with=audit_key(site),
    )
    cases = [
        (text, "不是残培备份文件"),
        (plain_tar, "不是残培备份文件"),
        (tmp_path / "missing.canpei", "备份文件不存在"),
        (truncated, "备份文件已损坏"),
        (garbage, "备份中的 SQLite 数据库已损坏或无法读取" if site.kind == "sqlite" else "失败"),
    ]
    for path, message in cases:
        refused = site.canpei("restore", "--yes", str(path))
        assert refused.returncode == 1, (path, refused.stdout, refused.stderr)
        assert message in refused.stderr, (path, refused.stderr)
        assert "Traceback" not in refused.stderr
        assert site.counts() == before, path
    # Without --yes and without a terminal to ask on, nothing is restored either.
    unconfirmed = site.canpei("restore", str(pristine))
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert site.canpei("audit", "verify").returncode == 0


def test_restore_refuses_a_backup_of_the_other_backend_or_a_newer_canpei(site, pristine, tmp_path):
    before = site.counts()
    other = "postgresql" if site.kind == "sqlite" else "sqlite"
    payload = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other]
    foreign = _rewrite(
        pristine,
        tmp_path / "foreign.canpei",
        backend=other,
        payload=payload,
        sign_with=audit_key(site),
    )
    refused = site.canpei("restore", "--yes", str(foreign))
    assert refused.returncode == 1
    assert "不能跨数据库恢复" in refused.stderr
    with tarfile.open(pristine) as tar:
        manifest = json.loads(tar.extractfile("canpei-backup.json").read())  # type: ignore[union-attr]
    newer = _rewrite(
        pristine,
        tmp_path / "newer.canpei",
        sign_with=audit_key(site),
        migrations=manifest["migrations"] + ["people.9999_from_the_future"],
    )
    refused = site.canpei("restore", "--yes", str(newer))
    assert refused.returncode == 1 and "请先升级残培" in refused.stderr
    assert site.counts() == before


def test_a_backup_that_cannot_be_written_leaves_no_file(site, tmp_path):
    missing_dir = tmp_path / "no-such-dir" / "x.canpei"
    failed = site.canpei("backup", str(missing_dir))
    assert failed.returncode == 1 and "备份失败" in failed.stderr
    assert not missing_dir.parent.exists()
    failed = site.canpei("backup", str(tmp_path))
    assert failed.returncode == 1 and "是目录" in failed.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_postgresql_restore_failing_half_way_leaves_the_database_as_before(site, tmp_path):
    if site.kind != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's restore is one page copy, checked before it starts")
    # The backup grants a role that is gone by the time of the restore: its GRANT fails after
    # every table has already been dropped and recreated, in the same transaction.
    role = f"canpei_bk_role_{os.getpid()}"
    site.sql(
        f"DROP ROLE IF EXISTS {role}",
        f"CREATE ROLE {role}",
        f"GRANT SELECT ON people_person TO {role}",
    )
    backup = tmp_path / "grant.canpei"
    try:
        assert site.canpei("backup", str(backup)).returncode == 0
    finally:
        site.sql(f"REVOKE SELECT ON people_person FROM {role}", f"DROP ROLE {role}")
    site.sql("CREATE TABLE canpei_bk_later (id integer)")
    assert site.canpei("createuser", "before.failure", "--role", "city_admin").returncode == 0
    before = site.counts()
    failed = site.canpei("restore", "--yes", str(backup))
    assert failed.returncode == 1 and "数据库未改动" in failed.stderr, failed.stderr
    assert role in failed.stderr
    assert site.counts() == before  # the later table and account are still there
    assert site.canpei("audit", "verify").returncode == 0
    site.sql("DROP TABLE canpei_bk_later")


def test_a_backup_with_a_tampered_audit_log_is_refused_before_the_database_is_replaced(
    site, pristine, tmp_path
):
    site.tamper_audit_log()
    backup = tmp_path / "tampered.canpei"
    assert site.canpei("backup", str(backup)).returncode == 0
    try:
        # The current database: a good log again, and an account the backup does not have.
        assert site.canpei("restore", "--yes", str(pristine)).returncode == 0
        assert site.canpei("createuser", "after.tamper", "--role", "city_admin").returncode == 0
        before = site.counts()
        refused = site.canpei("restore", "--yes", str(backup))
        assert refused.returncode == 1
        assert "恢复失败：备份中的审计日志校验未通过" in refused.stderr
        assert "content does not match its hash" in refused.stderr
        assert "数据库未改动" in refused.stderr and "Traceback" not in refused.stderr
        assert site.counts() == before
        assert site.canpei("audit", "verify").returncode == 0
    finally:
        assert site.canpei("restore", "--yes", str(pristine)).returncode == 0
    assert site.canpei("audit", "verify").returncode == 0


def test_a_tampered_manifest_is_refused_and_the_database_is_untouched(site, pristine, tmp_path):
    before = site.counts()
    with tarfile.open(pristine) as tar:
        manifest = json.loads(tar.extractfile("canpei-backup.json").read())  # type: ignore[union-attr]
    # Another payload with its checksum put into the manifest, and a manifest merely edited:
    # without the audit key the signature cannot follow.
    swapped = _rewrite(pristine, tmp_path / "swapped.canpei", content=b"\0other" * 4096)
    edited = _rewrite(
        pristine, tmp_path / "edited.canpei", counts={**manifest["counts"], "people_person": 1}
    )
    for path in (swapped, edited):
        refused = site.canpei("restore", "--yes", str(path))
        assert refused.returncode == 1, refused.stdout
        assert "备份文件的说明与其签名不符" in refused.stderr
        assert site.counts() == before
    # Signed with another audit key: named as such.
    other = _rewrite(pristine, tmp_path / "other-key.canpei", sign_with="x" * 43)
    refused = site.canpei("restore", "--yes", str(other))
    assert refused.returncode == 1
    assert "当前审计密钥不是备份时使用的密钥" not in refused.stderr  # fingerprint matches: tampered
    assert "备份文件的说明与其签名不符" in refused.stderr
    wrong_key = {**site.env, "CANPEI_AUDIT_KEY": "y" * 43}
    refused = subprocess.run(
        [sys.executable, "-m", "canpei", "restore", "--yes", str(pristine)],
        env=wrong_key,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert refused.returncode == 1 and "当前审计密钥不是备份时使用的密钥" in refused.stderr
    assert site.counts() == before


def test_an_unsigned_backup_of_an_older_canpei_is_restored_only_when_accepted(
    site, pristine, tmp_path
):
    with tarfile.open(pristine) as tar:
        manifest = json.loads(tar.extractfile("canpei-backup.json").read())  # type: ignore[union-attr]
    # The manifest as format 1 wrote it: no audit key fingerprint, no signature.
    old = {k: v for k, v in manifest.items() if k not in ("signature", "audit_key_fingerprint")}
    with tarfile.open(pristine) as tar, tarfile.open(tmp_path / "v1.canpei", "w") as out:
        body = json.dumps({**old, "version": 1}).encode()
        info = tarfile.TarInfo("canpei-backup.json")
        info.size = len(body)
        out.addfile(info, io.BytesIO(body))
        member = tar.getmember(manifest["payload"])
        out.addfile(member, tar.extractfile(member))
    before = site.counts()
    refused = site.canpei("restore", "--yes", str(tmp_path / "v1.canpei"))
    assert refused.returncode == 1 and "--accept-unsigned" in refused.stderr
    assert site.counts() == before
    accepted = site.canpei("restore", "--yes", "--accept-unsigned", str(tmp_path / "v1.canpei"))
    assert accepted.returncode == 0, accepted.stderr
    assert "说明未签名" in accepted.stderr and "审计日志完整" in accepted.stdout


def make_log_legacy(site: Site, *, forget_migration: bool = True) -> None:
    """Turn the site's database into one an older Canpei left: entries hashed with plain
    SHA-256, the head without legacy_count or signature, no triggers of migration 0004 and no
    record of it."""
    import datetime as dt

    from django.utils.dateparse import parse_datetime

    from canpei.audit.models import GENESIS_HASH
    from canpei.audit.services import entry_hash

    if site.kind == "sqlite":
        site.sql(
            *(
                f"DROP TRIGGER {name}"
                for name in (
                    "audit_auditentry_no_update",
                    "audit_audithead_forward_only",
                    "audit_audithead_no_delete",
                )
            )
        )
    else:
        site.sql(
            "ALTER TABLE audit_auditentry DISABLE TRIGGER USER",
            "DROP TRIGGER audit_audithead_forward_only ON audit_audithead",
            "DROP TRIGGER audit_audithead_no_truncate ON audit_audithead",
            "DROP TRIGGER audit_auditentry_no_truncate ON audit_auditentry",
            "DROP FUNCTION audit_audithead_forward_only()",
            "DROP FUNCTION audit_refuse_truncate()",
        )
    rows = site.sql(
        "SELECT id, at, actor_id, actor_username, action, object_type, object_id, "
        "summary, changes FROM audit_auditentry ORDER BY id"
    )
    prev, updates, last_id = GENESIS_HASH, [], 0
    for key, at, actor_id, username, action, object_type, object_id, summary, changes in rows:
        moment = at if isinstance(at, dt.datetime) else parse_datetime(at).replace(tzinfo=dt.UTC)  # type: ignore[union-attr]
        digest = entry_hash(
            prev_hash=prev,
            at_iso=moment.astimezone(dt.UTC).isoformat(),
            actor_id=actor_id,
            actor_username=username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
            changes=json.loads(changes) if isinstance(changes, str) else changes,
            keyed=False,
        )
        updates.append(
            f"UPDATE audit_auditentry SET prev_hash = '{prev}', hash = '{digest}' WHERE id = {key}"
        )
        prev, last_id = digest, key
    site.sql(
        *updates,
        f"UPDATE audit_audithead SET last_hash = '{prev}', last_entry_id = {last_id}, "
        f"count = {len(rows)} WHERE id = 1",
        "ALTER TABLE audit_audithead DROP COLUMN legacy_count",
        "ALTER TABLE audit_audithead DROP COLUMN signature",
    )
    if forget_migration:
        site.sql(
            "DELETE FROM django_migrations WHERE app = 'audit' "
            "AND name = '0004_keyed_chain_and_head_triggers'"
        )
    if site.kind == "postgresql":
        site.sql("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    else:
        site.sql(
            "CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
        )


def test_a_backup_from_before_the_chain_was_keyed_restores_and_verifies(site, pristine, tmp_path):
    make_log_legacy(site)
    backup = tmp_path / "legacy.canpei"
    try:
        made = site.canpei("backup", str(backup))
        assert made.returncode == 0, made.stderr
        restored = site.canpei("restore", "--yes", str(backup))
        assert restored.returncode == 0, restored.stderr
        # An older backup: the migrations it is behind are applied after the restore.
        assert "已应用 1 个迁移" in restored.stdout and "审计日志完整" in restored.stdout
        assert (
            site.sql(
                "SELECT count(*) FROM django_migrations WHERE app = 'audit' "
                "AND name = '0004_keyed_chain_and_head_triggers'"
            )[0][0]
            == 1
        )
        # The legacy entries verify as before; new ones chain on, keyed.
        assert site.canpei("createuser", "after.upgrade", "--role", "city_admin").returncode == 0
        verified = site.canpei("audit", "verify")
        assert verified.returncode == 0, verified.stderr
    finally:
        assert site.canpei("restore", "--yes", str(pristine)).returncode == 0
    assert site.canpei("audit", "verify").returncode == 0


def test_a_keyed_log_rewritten_to_pass_for_a_legacy_one_is_refused(site, pristine, tmp_path):
    # Every hash recomputed in plain SHA-256 and the head's keyed columns dropped, but the
    # (signed) manifest lists the migration that keyed the chain.
    make_log_legacy(site, forget_migration=False)
    backup = tmp_path / "downgraded.canpei"
    try:
        assert site.canpei("backup", str(backup)).returncode == 0
        assert site.canpei("restore", "--yes", str(pristine)).returncode == 0
        before = site.counts()
        refused = site.canpei("restore", "--yes", str(backup))
        assert refused.returncode == 1
        assert "备份中的审计日志校验未通过" in refused.stderr and "no signature" in refused.stderr
        assert site.counts() == before
    finally:
        assert site.canpei("restore", "--yes", str(pristine)).returncode == 0
    assert site.canpei("audit", "verify").returncode == 0
