"""`canpei backup` / `canpei restore`: a consistent snapshot of the whole database and its restore.

A backup file is an uncompressed tar archive (readable with `tar tf`) of two members:

- `canpei-backup.json`, always first: the format tag, the backend that made it (`sqlite` or
  `postgresql`), when, the applied migrations, the row counts of the main tables at the
  snapshot, a one-way fingerprint of the field key, and the payload's size and SHA-256;
- the payload: `database.sqlite3` (a self-contained SQLite file made with the online backup
  API) or `database.pgdump` (`pg_dump --format=custom`, restorable by hand with `pg_restore`).

The field key itself is never in the backup: it has to be kept beside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

FORMAT = "canpei-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "canpei-backup.json"
PAYLOAD_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# A manifest is a few kilobytes; anything far bigger is not one of ours.
MANIFEST_MAX_BYTES = 1024 * 1024
CHUNK = 1024 * 1024

# The main tables whose row counts are shown and compared, with their labels.
MAIN_TABLES = (
    ("people.Person", "残疾人"),
    ("training.TrainingClass", "培训班"),
    ("training.Enrollment", "报名"),
    ("audit.AuditEntry", "审计日志"),
)

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Manifest:
    backend: str
    created_at: str
    counts: dict[str, int]
    migrations: list[str]
    key_fingerprint: str
    payload: str
    size: int
    sha256: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "version": FORMAT_VERSION, "backend": self.backend,
                "created_at": self.created_at, "counts": self.counts,
                "migrations": self.migrations, "field_key_fingerprint": self.key_fingerprint,
                "payload": self.payload, "size": self.size, "sha256": self.sha256, **self.extra}
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def backend() -> str:
    vendor = connection.vendor
    if vendor not in PAYLOAD_NAMES:
        raise BackupError(f"不支持备份此类数据库：{vendor}")
    return vendor


def main_tables() -> list[tuple[str, str]]:
    """(table, label) of the main tables."""
    from django.apps import apps

    return [(apps.get_model(label)._meta.db_table, name) for label, name in MAIN_TABLES]


def _facts(cursor: Any) -> tuple[dict[str, int], list[str]]:
    """Row counts of the main tables and the applied migrations, read through any DB-API
    cursor: the snapshot's own (SQLite file, PostgreSQL exported snapshot), not the live data."""
    counts: dict[str, int] = {}
    for table, _label in main_tables():
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return counts, migrations


def current_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _facts(cursor)[0]


# --- writing ------------------------------------------------------------------------------

def _temp_beside(target: Path, suffix: str) -> Path:
    """An empty private file (mode 0600: the backup holds personal data) in the target's
    directory, so the final rename stays on one file system and is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    return Path(name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot_sqlite(payload: Path) -> tuple[dict[str, int], list[str], dict[str, Any]]:
    live = Path(settings.DATABASES["default"]["NAME"])
    if not live.exists():
        raise BackupError(f"SQLite 数据库文件不存在：{live}")
    source = sqlite3.connect(live, timeout=20)
    target = sqlite3.connect(payload)
    try:
        # One step (pages=-1): the whole copy under one read transaction, so it is a single
        # consistent snapshot; copied in several steps, a write by the running app between
        # them would restart the copy, perhaps forever under steady writes.
        source.backup(target, pages=-1)
        # The copy inherits WAL mode from the live file; a backup must be one self-contained
        # file, not one with a -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        counts, migrations = _facts(target.cursor())
    finally:
        target.close()
        source.close()
    return counts, migrations, {"sqlite_version": sqlite3.sqlite_version}


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database: the password travels here, never on a
    command line, where any user of the machine could read it in the process list."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, value in (("PGHOST", db.get("HOST")), ("PGPORT", db.get("PORT")),
                       ("PGUSER", db.get("USER")), ("PGPASSWORD", db.get("PASSWORD")),
                       ("PGDATABASE", db.get("NAME"))):
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    options = db.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("connect_timeout", "PGCONNECT_TIMEOUT"),
                             ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            env[variable] = str(options[option])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装与数据库服务器同版本的 PostgreSQL 客户端")
    return path


def _tail(stream: Any, lines: int = 10) -> str:
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace").strip()
    return "\n".join(text.splitlines()[-lines:])


def _snapshot_postgresql(payload: Path) -> tuple[dict[str, int], list[str], dict[str, Any]]:
    pg_dump = _tool("pg_dump")
    # The counts and pg_dump read one and the same snapshot: this transaction exports it and
    # stays open until pg_dump has finished (pg_dump takes a snapshot of its own otherwise,
    # which would not match the counts shown).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        counts, migrations = _facts(cursor)
        with tempfile.TemporaryFile() as errors:
            done = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}",
                                   f"--file={payload}"],
                                  env=_pg_env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=errors)
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败（退出码 {done.returncode}）：\n{_tail(errors)}")
    return counts, migrations, {"server_version": server_version}


def backup_create(target: Path, *, announce: Callable[[str], None] = lambda _text: None) -> Manifest:
    """Write a backup of the whole database to `target`, atomically: a temporary file in the
    same directory is renamed over it only when complete, so a failure never leaves a
    truncated backup (nor replaces an older good one)."""
    from canpei.people.crypto import key_fingerprint

    kind = backend()
    if target.is_dir():
        raise BackupError(f"{target} 是目录，请给出备份文件名")
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent}")
    payload = archive = None
    try:
        try:
            payload = _temp_beside(target, ".payload")
            archive = _temp_beside(target, ".tmp")
        except OSError as exc:
            raise BackupError(f"无法在 {target.parent} 中写入：{exc.strerror}") from exc
        announce(f"正在备份 {BACKEND_LABELS[kind]} 数据库……")
        if kind == "sqlite":
            counts, migrations, extra = _snapshot_sqlite(payload)
        else:
            counts, migrations, extra = _snapshot_postgresql(payload)
        manifest = Manifest(backend=kind, created_at=timezone.now().isoformat(), counts=counts,
                            migrations=migrations, key_fingerprint=key_fingerprint(),
                            payload=PAYLOAD_NAMES[kind], size=payload.stat().st_size,
                            sha256=_sha256(payload), extra=extra)
        with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
            # The manifest first: restore reads it before anything else, and refuses a file
            # whose first member it is not.
            body = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mode, info.mtime = len(body), 0o600, int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(body))
            tar.add(payload, arcname=manifest.payload, recursive=False)
        with open(archive, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(archive, target)
        archive = None
        _fsync_dir(target.parent)
        return manifest
    except OSError as exc:
        raise BackupError(f"无法写入备份：{exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 备份失败：{exc}") from exc
    except DatabaseError as exc:
        raise BackupError(f"读取数据库失败（是否已执行 canpei migrate？）：{exc}") from exc
    finally:
        for leftover in (payload, archive):
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (a crash right after it must not bring back the old name)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- reading ------------------------------------------------------------------------------

NOT_A_BACKUP = "不是残培备份文件：{path}"


def _manifest_from(data: dict[str, Any], path: Path) -> Manifest:
    if data.get("format") != FORMAT:
        raise BackupError(NOT_A_BACKUP.format(path=path))
    if data.get("version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {data.get('version')} 不受此版本残培支持：{path}")
    try:
        known = {"format", "version", "backend", "created_at", "counts", "migrations",
                 "field_key_fingerprint", "payload", "size", "sha256"}
        manifest = Manifest(
            backend=str(data["backend"]), created_at=str(data["created_at"]),
            counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
            migrations=[str(m) for m in data["migrations"]],
            key_fingerprint=str(data["field_key_fingerprint"]), payload=str(data["payload"]),
            size=int(data["size"]), sha256=str(data["sha256"]),
            extra={k: v for k, v in data.items() if k not in known})
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"备份文件的说明已损坏：{path}") from exc
    if manifest.backend not in PAYLOAD_NAMES or manifest.payload != PAYLOAD_NAMES[manifest.backend]:
        raise BackupError(f"备份文件的说明已损坏：{path}")
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The manifest of a backup file; BackupError for anything that is not a Canpei backup."""
    try:
        with tarfile.open(path, "r:") as tar:
            first = tar.next()
            if (first is None or first.name != MANIFEST_NAME or not first.isfile()
                    or first.size > MANIFEST_MAX_BYTES):
                raise BackupError(NOT_A_BACKUP.format(path=path))
            handle = tar.extractfile(first)
            assert handle is not None  # a regular file, checked above
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"备份文件不存在：{path}") from exc
    except IsADirectoryError as exc:
        raise BackupError(f"{path} 是目录，不是备份文件") from exc
    except OSError as exc:
        raise BackupError(f"无法读取备份文件：{exc.strerror or exc}") from exc
    except (tarfile.TarError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(NOT_A_BACKUP.format(path=path)) from exc
    if not isinstance(data, dict):
        raise BackupError(NOT_A_BACKUP.format(path=path))
    return _manifest_from(data, path)


def extract_payload(path: Path, manifest: Manifest, into: Path, progress: Progress = _no_progress) -> None:
    """Copy the payload out of the archive into `into`, checking its size and checksum: a
    truncated or damaged backup is refused before the database is touched."""
    digest = hashlib.sha256()
    written = 0
    try:
        with tarfile.open(path, "r:") as tar:
            member = None
            for candidate in _members(tar):
                if candidate.name == manifest.payload:
                    member = candidate
                    break
            if member is None or not member.isfile():
                raise BackupError(f"备份文件不完整（缺少 {manifest.payload}）：{path}")
            source = tar.extractfile(member)
            assert source is not None
            with open(into, "wb") as out:
                for block in iter(lambda: source.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
                    written += len(block)
                    progress(written, manifest.size)
    except OSError as exc:
        raise BackupError(f"无法读取备份文件：{exc.strerror or exc}") from exc
    except tarfile.TarError as exc:
        raise BackupError(f"备份文件已损坏：{path}") from exc
    if written != manifest.size or digest.hexdigest() != manifest.sha256:
        raise BackupError(f"备份文件已损坏（校验和不符）：{path}")


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        member = tar.next()
        if member is None:
            return
        yield member


# --- restoring ----------------------------------------------------------------------------

@dataclass
class Plan:
    """What a restore would do, checked before anything is changed."""

    manifest: Manifest
    key_matches: bool


def restore_check(path: Path) -> Plan:
    """Refuse, before touching anything, a file that is not a backup, one made by the other
    backend, or one from a newer Canpei (migrations this code does not know)."""
    from django.db.migrations.loader import MigrationLoader

    from canpei.people.crypto import key_fingerprint

    manifest = read_manifest(path)
    kind = backend()
    if manifest.backend != kind:
        raise BackupError(f"备份来自 {BACKEND_LABELS[manifest.backend]}，当前数据库是 "
                          f"{BACKEND_LABELS[kind]}：不能跨数据库恢复")
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    unknown = [m for m in manifest.migrations if m not in known]
    if unknown:
        raise BackupError("备份来自更新版本的残培（含本版本未知的迁移 "
                          f"{', '.join(unknown[:3])}{' 等' if len(unknown) > 3 else ''}）：请先升级残培再恢复")
    return Plan(manifest=manifest,
                key_matches=manifest.key_fingerprint == key_fingerprint())


def _restore_sqlite(payload: Path, progress: Progress) -> None:
    try:
        source = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError("备份中的 SQLite 数据库已损坏")
            live = Path(settings.DATABASES["default"]["NAME"])
            live.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(live, timeout=20)
            try:
                # The backup API writes the live file page by page under its own write lock,
                # in one transaction: running processes wait (busy timeout) and then see either
                # the old database or the restored one. No row is deleted, so the audit log's
                # append-only triggers do not fire, and the copied schema brings them back.
                source.backup(target, pages=4096,
                              progress=lambda _status, remaining, total: progress(total - remaining, total))
                # The restored page 1 carries the backup's journal mode (DELETE); the app
                # runs the live file in WAL mode, as settings.py asks of every connection.
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 恢复失败：{exc}") from exc


# Run first, in the restore's transaction: the current database's own tables and functions go,
# so that what remains is exactly the backup, even when the current schema is newer (tables of
# later migrations, which the dump's own DROP ... IF EXISTS would not name, would otherwise be
# left holding stale rows and make the migrations that follow fail).
PG_CLEAR = """
DO $clear$
DECLARE item record;
BEGIN
    -- Tables, views and sequences of their own; indexes, constraints, triggers and the
    -- sequences of serial/identity columns go with their tables. Dropped in one statement
    -- each by name: an earlier CASCADE may already have taken a later one (IF EXISTS).
    FOR item IN
        SELECT format('%I.%I', n.nspname, c.relname) AS name,
               CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                              WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                              ELSE 'TABLE' END AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
    LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE', item.kind, item.name);
    END LOOP;
    -- Functions (the audit log's trigger function among them), but not an extension's.
    FOR item IN
        SELECT format('%I.%I(%s)', n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid)) AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.name);
    END LOOP;
END
$clear$;
"""


def _restore_postgresql(payload: Path) -> None:
    """pg_restore's script of the backup run by psql in one transaction of our own, committed
    only once pg_restore has written all of it and psql has run every statement without error:
    anything going wrong leaves the database exactly as it was."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _pg_env()
    # Django's own connection must not sit idle in a transaction holding locks the restore
    # waits for.
    connections.close_all()
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as restore_errors:
        shell = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"],
                                 env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=psql_errors)
        assert shell.stdin is not None
        committed = False
        try:
            shell.stdin.write(b"BEGIN;\n" + PG_CLEAR.encode() + b"\n")
            shell.stdin.flush()
            # --clean --if-exists: objects of the backup outside the public schema are replaced
            # too; --no-owner: the restoring user owns what it creates, whoever made the backup.
            dump = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner",
                                   "--file=-", str(payload)],
                                  env=env, stdin=subprocess.DEVNULL, stdout=shell.stdin,
                                  stderr=restore_errors)
            if dump.returncode == 0:
                shell.stdin.write(b"COMMIT;\n")
                committed = True
        except BrokenPipeError:
            pass  # psql stopped at an error: its transaction is rolled back
        finally:
            try:
                shell.stdin.close()
            except BrokenPipeError:
                pass
            code = shell.wait()
        # psql first: when it stops at an error, pg_restore fails too, on the closed pipe.
        if code != 0:
            raise BackupError(f"恢复失败，数据库未改动（psql 退出码 {code}）：\n{_tail(psql_errors)}")
        if not committed:
            raise BackupError(f"pg_restore 失败，数据库未改动：\n{_tail(restore_errors)}")


@dataclass
class RestoreResult:
    migrations_applied: int
    counts: dict[str, int]
    verified: Any  # canpei.audit.services.VerifyResult


def restore_apply(path: Path, plan: Plan, progress: Progress = _no_progress,
                  announce: Callable[[str], None] = lambda _text: None) -> RestoreResult:
    """Replace the database's contents with the backup, bring its schema up to this version's
    migrations, and check the audit chain."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    from canpei.audit.services import audit_verify

    kind = plan.manifest.backend
    # The payload is unpacked beside the SQLite file (one file system, no small /tmp filling
    # up); for PostgreSQL the var dir is the one directory known to be writable.
    live = Path(settings.DATABASES["default"]["NAME"]) if kind == "sqlite" else None
    work_dir = live.parent if live is not None else Path(settings.VAR_DIR)
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".restore.", suffix=".payload", dir=work_dir)
    os.close(fd)
    payload = Path(name)
    try:
        announce("正在校验备份文件……")
        extract_payload(path, plan.manifest, payload, progress)
        announce("正在恢复数据库……")
        if kind == "sqlite":
            connections.close_all()
            _restore_sqlite(payload, progress)
        else:
            _restore_postgresql(payload)
    finally:
        payload.unlink(missing_ok=True)
    connections.close_all()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        announce(f"备份早于当前版本：应用 {len(pending)} 个迁移……")
        call_command("migrate", interactive=False, verbosity=0)
    return RestoreResult(migrations_applied=len(pending), counts=current_counts(),
                         verified=audit_verify())
