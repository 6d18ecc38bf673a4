"""`canpei backup` / `canpei restore`: a consistent snapshot of the whole database and its restore.

A backup file is an uncompressed tar archive (readable with `tar tf`) of two members:

- `canpei-backup.json`, always first: the format tag, the backend that made it (`sqlite` or
  `postgresql`), when, the applied migrations, the row counts of the main tables at the
  snapshot, one-way fingerprints of the field key and the audit key, the payload's size and
  SHA-256, and (format 2) the manifest's signature: an HMAC-SHA-256 with the audit key over all
  of the above, so the checksum cannot be changed along with the payload;
- the payload: `database.sqlite3` (a self-contained SQLite file made with the online backup
  API) or `database.pgdump` (`pg_dump --format=custom`, restorable by hand with `pg_restore`).

Neither key is in the backup: both have to be kept beside it.

A restore verifies the backup's audit chain before the database is replaced: SQLite's payload
is opened read-only and its log checked; PostgreSQL's is checked inside the restore's own
transaction, after the dump has been loaded and before COMMIT (ROLLBACK when it fails).
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
from typing import Any
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
import contextlib

FORMAT = "canpei-backup"
FORMAT_VERSION = 2
# Format 1 (before the manifest was signed) is still read, when the operator accepts it.
READABLE_VERSIONS = (1, 2)
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
    version: int = FORMAT_VERSION
    audit_key_fingerprint: str = ""
    signature: str = ""

    def signed_fields(self) -> dict[str, Any]:
        """Everything in the manifest but its signature."""
        data = {"format": FORMAT, "version": self.version, "backend": self.backend,
                "created_at": self.created_at, "counts": self.counts,
                "migrations": self.migrations, "field_key_fingerprint": self.key_fingerprint,
                "payload": self.payload, "size": self.size, "sha256": self.sha256, **self.extra}
        if self.version >= 2:
            data["audit_key_fingerprint"] = self.audit_key_fingerprint
        return data

    def sign(self) -> None:
        from canpei.audit.keys import manifest_signature

        self.signature = manifest_signature(self.signed_fields())

    def signature_valid(self) -> bool:
        from canpei.audit.keys import manifest_signature, same

        return self.version >= 2 and same(manifest_signature(self.signed_fields()), self.signature)

    def to_json(self) -> bytes:
        data = self.signed_fields()
        if self.version >= 2:
            data["signature"] = self.signature
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
    from canpei.audit.keys import key_fingerprint as audit_key_fingerprint
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
                            sha256=_sha256(payload), extra=extra,
                            audit_key_fingerprint=audit_key_fingerprint())
        manifest.sign()
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
    version = data.get("version")
    if version not in READABLE_VERSIONS or type(version) is not int:
        raise BackupError(f"备份格式版本 {version} 不受此版本残培支持：{path}")
    try:
        known = {"format", "version", "backend", "created_at", "counts", "migrations",
                 "field_key_fingerprint", "payload", "size", "sha256"}
        if version >= 2:
            known |= {"audit_key_fingerprint", "signature"}
        manifest = Manifest(
            backend=str(data["backend"]), created_at=str(data["created_at"]),
            counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
            migrations=[str(m) for m in data["migrations"]],
            key_fingerprint=str(data["field_key_fingerprint"]), payload=str(data["payload"]),
            size=int(data["size"]), sha256=str(data["sha256"]),
            extra={k: v for k, v in data.items() if k not in known}, version=version,
            audit_key_fingerprint=str(data["audit_key_fingerprint"]) if version >= 2 else "",
            signature=str(data["signature"]) if version >= 2 else "")
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
    signed: bool = True


MANIFEST_TAMPERED = "备份文件的说明与其签名不符：备份文件被改动过，不能恢复：{path}"
MANIFEST_OTHER_KEY = ("备份文件的说明无法验证：当前审计密钥不是备份时使用的密钥。"
                      "请换回原审计密钥（CANPEI_AUDIT_KEY 或 var/audit.key）再恢复：{path}")
MANIFEST_UNSIGNED = ("此备份由旧版本残培制作，说明未签名，无法确认未被改动：确认来源可靠后，"
                     "加 --accept-unsigned 恢复：{path}")


def restore_check(path: Path, *, accept_unsigned: bool = False) -> Plan:
    """Refuse, before touching anything, a file that is not a backup, one whose manifest does
    not match its signature (or, unless accepted, has none), one made by the other backend, or
    one from a newer Canpei (migrations this code does not know)."""
    from django.db.migrations.loader import MigrationLoader

    from canpei.audit.keys import key_fingerprint as audit_key_fingerprint
    from canpei.people.crypto import key_fingerprint

    manifest = read_manifest(path)
    if manifest.version < 2:
        if not accept_unsigned:
            raise BackupError(MANIFEST_UNSIGNED.format(path=path))
    elif not manifest.signature_valid():
        if manifest.audit_key_fingerprint != audit_key_fingerprint():
            raise BackupError(MANIFEST_OTHER_KEY.format(path=path))
        raise BackupError(MANIFEST_TAMPERED.format(path=path))
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
    return Plan(manifest=manifest, key_matches=manifest.key_fingerprint == key_fingerprint(),
                signed=manifest.version >= 2)


# --- the backup's audit chain, verified before the database is replaced ---------------------

HEAD_COLUMNS = ("count", "last_entry_id", "last_hash", "legacy_count", "signature")
ENTRY_COLUMNS = ("id", "at", "actor_id", "actor_username", "action", "object_type", "object_id",
                 "summary", "changes", "prev_hash", "hash")


def _entry_row(values: dict[str, Any]) -> dict[str, Any]:
    """An entry as read from a backup, in the form ChainCheck.feed takes: `at` as the aware UTC
    datetime Django reads (its isoformat is what was hashed), `changes` decoded."""
    import datetime as dt

    from django.utils.dateparse import parse_datetime

    at = values.pop("at")
    moment = at if isinstance(at, dt.datetime) else parse_datetime(str(at))
    if moment is None:
        raise ValueError("unreadable time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    changes = values["changes"]
    return {**values, "at_iso": moment.astimezone(dt.UTC).isoformat(),
            "changes": json.loads(changes) if isinstance(changes, (str, bytes)) else changes}


CHAIN_BROKEN = ("备份中的审计日志校验未通过：第一条异常记录 #{entry}（{reason}）；此前 {checked} 条"
                "校验通过。不恢复被篡改的备份，数据库未改动")
CHAIN_UNREADABLE = "备份中的审计日志无法读取，数据库未改动"
SQLITE_UNREADABLE = "备份中的 SQLite 数据库已损坏或无法读取，数据库未改动"


def _chain_refused(result: Any) -> BackupError:
    return BackupError(CHAIN_BROKEN.format(entry=result.broken_entry_id, reason=result.reason,
                                           checked=result.checked))


def _verify_sqlite_payload(payload: Path, *, keyed_required: bool) -> Any:
    """The audit chain of a SQLite payload, opened read-only before anything is replaced."""
    from canpei.audit.services import audit_verify_rows

    try:
        db = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(SQLITE_UNREADABLE)
            present = {row[1] for row in db.execute("PRAGMA table_info(audit_audithead)")}
            columns = [name for name in HEAD_COLUMNS if name in present]
            quoted = ", ".join(f'"{name}"' for name in columns)
            found = db.execute(f"SELECT {quoted} FROM audit_audithead WHERE id = 1").fetchone()
            head = dict(zip(columns, found)) if found is not None else None
            cursor = db.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM audit_auditentry ORDER BY id")
            rows = (_entry_row(dict(zip(ENTRY_COLUMNS, row))) for row in cursor)
            return audit_verify_rows(head, rows, keyed_required=keyed_required)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BackupError(SQLITE_UNREADABLE) from exc
    except ValueError as exc:
        raise BackupError(CHAIN_UNREADABLE) from exc


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


def _pg_chain_query(marker: str) -> bytes:
    """psql commands that print, between marker lines, the restored head and then every entry
    as one JSON line each (psql's unaligned, tuples-only output). The dump's script empties
    search_path: names are qualified. Times as UTC with microseconds, as Django reads them."""
    entry = ("json_build_object('id', id, 'at', to_char(at AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), 'actor_id', actor_id, 'actor_username', actor_username, "
             "'action', action, 'object_type', object_type, 'object_id', object_id, "
             "'summary', summary, 'changes', changes, 'prev_hash', prev_hash, 'hash', hash)::text")
    return (
        "\\pset tuples_only on\n\\pset format unaligned\n\\pset pager off\n"
        f"\\echo {marker}-head\n"
        "SELECT row_to_json(h)::text FROM public.audit_audithead h WHERE h.id = 1;\n"
        f"\\echo {marker}-entries\n"
        f"SELECT {entry} FROM public.audit_auditentry ORDER BY id;\n"
        f"\\echo {marker}-end\n"
    ).encode()


class _PgChainReader:
    """Reads psql's output on a thread of its own (so psql never blocks on a full pipe while
    the dump is still being written to it) and verifies the chain printed between the markers."""

    def __init__(self, stream: Any, marker: str, keyed_required: bool):
        import threading

        self.stream, self.marker, self.keyed_required = stream, marker, keyed_required
        self.result: Any = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _lines(self) -> Iterator[str]:
        for raw in self.stream:
            yield raw.decode("utf-8").rstrip("\n")

    def _run(self) -> None:
        from canpei.audit.services import audit_verify_rows

        lines = self._lines()
        try:
            for line in lines:
                if line == f"{self.marker}-head":
                    break
            else:
                return  # psql stopped before: the restore has failed anyway
            head: dict[str, Any] | None = None
            for line in lines:
                if line == f"{self.marker}-entries":
                    break
                if line.strip():
                    found = json.loads(line)
                    head = {k: found[k] for k in HEAD_COLUMNS if k in found}
            else:
                return

            def rows() -> Iterator[dict[str, Any]]:
                for line in lines:
                    if line == f"{self.marker}-end":
                        return
                    if line.strip():
                        yield _entry_row(json.loads(line))
                raise ValueError("psql stopped while printing the audit log")

            self.result = audit_verify_rows(head, rows(), keyed_required=self.keyed_required)
        except Exception as exc:  # reported to the restoring thread, which decides
            self.error = exc
        finally:
            for _rest in lines:  # drain, so psql never blocks writing
                pass


def _restore_postgresql(payload: Path, *, keyed_required: bool) -> None:
    """pg_restore's script of the backup run by psql in one transaction of our own, committed
    only once pg_restore has written all of it, psql has run every statement without error, and
    the restored audit chain has verified (read back inside the same transaction): anything
    going wrong leaves the database exactly as it was."""
    import secrets

    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _pg_env()
    # Django's own connection must not sit idle in a transaction holding locks the restore
    # waits for.
    connections.close_all()
    marker = f"canpei-audit-{secrets.token_hex(8)}"
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as restore_errors:
        shell = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"],
                                 env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=psql_errors)
        assert shell.stdin is not None and shell.stdout is not None
        reader = _PgChainReader(shell.stdout, marker, keyed_required)
        committed = False
        restored = None
        try:
            shell.stdin.write(b"BEGIN;\n" + PG_CLEAR.encode() + b"\n")
            shell.stdin.flush()
            # --clean --if-exists: objects of the backup outside the public schema are replaced
            # too; --no-owner: the restoring user owns what it creates, whoever made the backup.
            dump = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner",
                                   "--file=-", str(payload)],
                                  env=env, stdin=subprocess.DEVNULL, stdout=shell.stdin,
                                  stderr=restore_errors)
            restored = dump.returncode
            if dump.returncode == 0:
                shell.stdin.write(_pg_chain_query(marker))
                shell.stdin.flush()
                while reader.thread.is_alive() and reader.result is None and reader.error is None:
                    reader.thread.join(timeout=0.1)
                if reader.result is not None and reader.result.ok:
                    shell.stdin.write(b"COMMIT;\n")
                    committed = True
                else:
                    shell.stdin.write(b"ROLLBACK;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: its transaction is rolled back
        finally:
            with contextlib.suppress(BrokenPipeError):
                shell.stdin.close()
            code = shell.wait()
            reader.thread.join()
        # psql first: when it stops at an error, pg_restore fails too, on the closed pipe.
        if code != 0:
            raise BackupError(f"恢复失败，数据库未改动（psql 退出码 {code}）：\n{_tail(psql_errors)}")
        if restored != 0:
            raise BackupError(f"pg_restore 失败，数据库未改动：\n{_tail(restore_errors)}")
        if reader.error is not None or reader.result is None:
            raise BackupError(CHAIN_UNREADABLE)
        if not committed:
            raise _chain_refused(reader.result)


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

    from canpei.audit.services import KEYED_MIGRATION, audit_verify

    kind = plan.manifest.backend
    # Signed with the manifest: a backup made since the chain was keyed must carry a keyed one.
    keyed_required = KEYED_MIGRATION in plan.manifest.migrations
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
        if kind == "sqlite":
            announce("正在校验备份中的审计日志……")
            verified = _verify_sqlite_payload(payload, keyed_required=keyed_required)
            if not verified.ok:
                raise _chain_refused(verified)
            announce("正在恢复数据库……")
            connections.close_all()
            _restore_sqlite(payload, progress)
        else:
            announce("正在恢复数据库并校验其审计日志……")
            _restore_postgresql(payload, keyed_required=keyed_required)
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
