"""The `canpei` command line (also `python -m canpei`)."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Sequence

if TYPE_CHECKING:
    from canpei.accounts.models import User


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")
    import django

    django.setup()


# The migrations that create the reports' summary tables: a database upgraded past them (one
# with records already) gets its summaries built right after, as `canpei summaries rebuild`.
SUMMARY_MIGRATIONS = {("reports", "0003_summaries"), ("reports", "0004_indicator_summary"),
                      ("reports", "0006_matching_summary")}


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    before = set(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", interactive=False, verbosity=verbosity)
    if SUMMARY_MIGRATIONS - before:
        from canpei.people.models import Person
        from canpei.reports.summaries import rebuild_all

        if Person.objects.exists():
            print("新建了统计汇总表：按现有数据重建……", flush=True)
            rebuild_all()


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    _migrate(verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if args.demo:
        from canpei.demo import DEMO_PASSWORD, demo_accounts, demo_load, database_is_empty

        if database_is_empty():
            print("首次运行：生成晋江演示数据……", flush=True)
            demo_load(persons=args.persons, seed=1)
        print(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, label in demo_accounts():
            print(f"  {username:<16} {label}")
    url = f"http://{args.host}:{args.port}/"
    print(f"\n残培已启动：{url}\n", flush=True)
    command = [sys.executable, "-m", "gunicorn", "canpei.wsgi:application",
               "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
               "--threads", "4", "--access-logfile", "-",
               # The access log must not carry query strings (ID tails, names).
               "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms']
    # The background worker (imports) runs beside the web server and stops with it.
    worker = None
    if worker_needed(no_worker=args.no_worker):
        worker = subprocess.Popen([sys.executable, "-m", "canpei", "worker"])
    server = subprocess.Popen(command)

    # Python's default SIGTERM ends this process without its `finally`, which left gunicorn
    # and the worker serving after `kill` of `canpei run` (systemd, a shell). Pass the signal
    # on instead: gunicorn shuts down gracefully, then the worker is stopped below.
    def forward(signum: int, _frame: object) -> None:
        server.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return server.wait()
            except KeyboardInterrupt:
                # Ctrl-C reaches gunicorn too (same process group); wait for it to finish.
                continue
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def worker_needed(*, no_worker: bool) -> bool:
    """Whether `canpei run` starts `canpei worker`: only for the database task backend. With
    CANPEI_TASKS=immediate the tasks run inside the request, and db_worker refuses to start."""
    from django.conf import settings

    backend = settings.TASKS["default"]["BACKEND"]
    return not no_worker and backend == "django_tasks_db.DatabaseBackend"


def cmd_worker(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from canpei.health import start_heartbeat
    from canpei.spreadsheets import jobs

    # /healthz reads the heartbeat: beat at once, then every 30 s from a thread of its own.
    start_heartbeat()
    # Jobs a killed worker left running are failed and their files removed; files past the
    # retention period go, now and every hour (and after each job).
    jobs.recover_interrupted_jobs()
    jobs.sweep_import_files()
    jobs.start_periodic_sweep()

    call_command("db_worker", queue_name="*", interval=1, verbosity=0)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from canpei.docs import write_generated

    for path, changed in write_generated(args.out):
        print(f"{'已更新' if changed else '未改变'} {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from canpei.demo import DEMO_PASSWORD, demo_accounts, demo_load

    _migrate(verbosity=0)
    summary = demo_load(persons=args.persons, seed=args.seed, progress=sys.stderr.isatty())
    print(f"演示数据已生成：{summary['persons']} 人，{summary['surveys']} 份需求调查。演示账号（密码 {DEMO_PASSWORD}）：")  # noqa: E501
    for username, label in demo_accounts():
        print(f"  {username:<16} {label}")
    print(f"培训班：新增 {summary['classes']} 个，开班流程的每个状态都有示例；"
          f"个人申请 {summary['applications']} 份，专干远程培训 {summary['staff_trainings']} 条。")
    print(f"就业服务：新增 {summary['employment_services']} 条（含待定的职业介绍）。")
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from canpei.accounts.services import user_create
    from canpei.errors import ServiceError

    password = os.environ.get("CANPEI_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("请通过 CANPEI_PASSWORD 提供密码", file=sys.stderr)
            return 2
        password = getpass.getpass("密码：")
        if password != getpass.getpass("再次输入密码："):
            print("两次输入的密码不一致", file=sys.stderr)
            return 2
    try:
        user = user_create(actor=None, username=args.name, password=password, role=args.role,
                           town=args.town, institution=args.institution)
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        for field, message in exc.errors:
            print(f"  {field}: {message}", file=sys.stderr)
        return 1
    print(f"已创建用户 {user.username}（{user.role_label}）")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from canpei.accounts.models import User
    from canpei.accounts.otp import second_factor_required
    from canpei.accounts.services import token_issue, tokens_revoke_all

    if args.revoke_all:
        target = User.objects.filter(username=args.name).first()
        if target is None:
            print(f"用户不存在：{args.name}", file=sys.stderr)
            return 1
        count = tokens_revoke_all(actor=None, user=target)
        print(f"已撤销用户 {target.username} 的 {count} 个 API 令牌")
        return 0
    user = User.objects.filter(username=args.name, is_active=True).first()
    if user is None:
        print(f"用户不存在或已停用：{args.name}", file=sys.stderr)
        return 1
    if second_factor_required(user):
        # A token issued here would skip the officer's TOTP step: the API refuses such tokens.
        print("管理员的 API 令牌须以用户名、密码和动态验证码通过 POST /api/v1/auth/token 获取",
              file=sys.stderr)
        return 1
    print(token_issue(actor=None, user=user))
    return 0


def cmd_user_active(args: argparse.Namespace) -> int:
    from canpei.accounts.models import User
    from canpei.accounts.services import user_set_active

    user = User.objects.filter(username=args.name).first()
    if user is None:
        print(f"用户不存在：{args.name}", file=sys.stderr)
        return 1
    active = args.user_command == "activate"
    user_set_active(actor=None, user=user, active=active)
    print(f"已{'启用' if active else '停用'}用户 {user.username}"
          + ("" if active else "，其 API 令牌已全部撤销"))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from canpei.audit.services import (
        DIFFERS_FROM_ANCHOR, FEWER_THAN_ANCHOR, Anchor, AnchorError, anchor_parse, audit_verify,
    )

    anchor: Anchor | None = None
    if args.anchor:
        try:
            with open(args.anchor, encoding="utf-8") as handle:
                anchor = anchor_parse(handle.read(1024 * 1024))
        except OSError as exc:
            print(f"无法读取锚点文件：{exc.strerror or exc}", file=sys.stderr)
            return 1
        except UnicodeDecodeError:
            print("锚点文件无法识别：不是残培审计锚点", file=sys.stderr)
            return 1
        except AnchorError as exc:
            print(exc.message, file=sys.stderr)
            return 1
    result = audit_verify(anchor=anchor)
    if result.ok:
        print(f"审计日志完整：已校验 {result.checked} 条")
        if anchor is not None:
            print(f"与锚点（{_local_time(anchor.at)}，{anchor.count} 条）一致")
        return 0
    if anchor is not None and result.reason == FEWER_THAN_ANCHOR:
        print(f"审计日志被篡改：日志只有 {result.checked} 条，少于锚点记录的 {anchor.count} 条"
              f"（锚点时间 {_local_time(anchor.at)}；{result.reason}）", file=sys.stderr)
        return 1
    if anchor is not None and result.reason == DIFFERS_FROM_ANCHOR:
        print(f"审计日志被篡改：第 {anchor.count} 条记录 #{result.broken_entry_id} 与锚点不符"
              f"（锚点时间 {_local_time(anchor.at)}；{result.reason}）", file=sys.stderr)
        return 1
    print(f"审计日志被篡改：第一条异常记录 #{result.broken_entry_id}（{result.reason}）；"
          f"此前 {result.checked} 条校验通过", file=sys.stderr)
    return 1


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from pathlib import Path

    from canpei.audit.services import audit_anchor, audit_verify

    # An anchor vouches for the log up to it: never sign one that does not verify.
    result = audit_verify()
    if not result.ok:
        print(f"审计日志被篡改，不生成锚点：第一条异常记录 #{result.broken_entry_id}（{result.reason}）",
              file=sys.stderr)
        return 1
    anchor = audit_anchor()
    text = anchor.to_json()
    if not args.out:
        sys.stdout.write(text)
        return 0
    target = Path(args.out)
    try:
        # Written whole or not at all: a half-written anchor would fail its signature later.
        temp = target.with_name(f".{target.name}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)
    except OSError as exc:
        print(f"无法写入锚点文件：{exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"已写入审计锚点 {target}：{anchor.count} 条，最后一条 #{anchor.last_entry_id}。"
          "请将其保存在数据库服务器以外。")
    return 0


def _field_key_source() -> str:
    """Where the field key comes from, to name in the reminder (never the key itself)."""
    from django.conf import settings

    if os.environ.get("CANPEI_FIELD_KEY"):
        return "环境变量 CANPEI_FIELD_KEY"
    return str(settings.VAR_DIR / "field.key")


def _audit_key_source() -> str:
    """Where the audit key comes from, to name in the reminder (never the key itself)."""
    from django.conf import settings

    if os.environ.get("CANPEI_AUDIT_KEY"):
        return "环境变量 CANPEI_AUDIT_KEY"
    return str(settings.VAR_DIR / "audit.key")


def _print_counts(counts: dict[str, int], before: dict[str, int] | None = None) -> None:
    from canpei.backup import main_tables

    for table, label in main_tables():
        line = f"  {label.ljust(4, chr(0x3000))} {counts.get(table, 0):>8} 行"
        if before is not None:
            line += f"（备份时 {before.get(table, 0)} 行）"
        print(line)


def _local_time(iso: str) -> str:
    import datetime as dt

    from django.utils import timezone

    try:
        return timezone.localtime(dt.datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _announce(text: str) -> None:
    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent snapshot of the whole database (SQLite: online backup API; PostgreSQL:
    pg_dump --format=custom) while the app may keep running. FILE is a tar archive: a manifest
    and the database; it is written to a temporary file and renamed, so a failure never leaves a
    truncated FILE. The keys are not in it: keep CANPEI_FIELD_KEY or var/field.key, and
    CANPEI_AUDIT_KEY or var/audit.key, as well."""
    from pathlib import Path

    from canpei.backup import BACKEND_LABELS, BackupError, backup_create

    target = Path(args.file)
    try:
        manifest = backup_create(target, announce=_announce)
    except BackupError as exc:
        print(f"备份失败：{exc.message}", file=sys.stderr)
        return 1
    size = target.stat().st_size
    print(f"已备份到 {target}（{BACKEND_LABELS[manifest.backend]}，{size / 1024 / 1024:.1f} MB），各表行数：")
    _print_counts(manifest.counts)
    print(f"请同时保管好字段密钥（{_field_key_source()}）：备份中不含密钥，"
          "没有它，身份证号和证书号无法解密。")
    print(f"以及审计密钥（{_audit_key_source()}）：没有它，审计日志和备份本身都无法校验。")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the current database's contents with a backup of the same backend (all or
    nothing), apply pending migrations when the backup is older, and verify the audit log. The
    manifest's signature (audit key) and the backup's audit chain are checked before anything is
    replaced: a backup failing either is refused. Exit 0 only when the audit chain verifies."""
    from pathlib import Path

    from django.conf import settings

    from canpei.backup import BACKEND_LABELS, BackupError, restore_apply, restore_check

    path = Path(args.file)
    try:
        plan = restore_check(path, accept_unsigned=args.accept_unsigned)
    except BackupError as exc:
        print(f"恢复失败：{exc.message}", file=sys.stderr)
        return 1
    manifest = plan.manifest
    if not plan.signed:
        print("警告：此备份由旧版本残培制作，说明未签名；其审计日志仍会在恢复前校验。", file=sys.stderr)
    if not plan.key_matches:
        print(f"警告：当前字段密钥（{_field_key_source()}）不是备份时使用的密钥；"
              "恢复后身份证号和证书号将无法解密，除非换回原密钥。", file=sys.stderr)
    database = settings.DATABASES["default"]["NAME"]
    print(f"备份：{BACKEND_LABELS[manifest.backend]}，{_local_time(manifest.created_at)}，各表行数：")
    _print_counts(manifest.counts)
    if not args.yes:
        if not sys.stdin.isatty():
            print("恢复将替换当前数据库的全部数据：请在终端上确认，或加 --yes", file=sys.stderr)
            return 1
        answer = input(f"将用此备份替换数据库 {database} 的全部数据，当前数据将丢失。继续？[y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("已取消，数据库未改动", file=sys.stderr)
            return 1
    try:
        result = restore_apply(path, plan, progress=_terminal_progress("恢复"), announce=_announce)
    except BackupError as exc:
        print(f"恢复失败：{exc.message}", file=sys.stderr)
        return 1
    if result.migrations_applied:
        print(f"已应用 {result.migrations_applied} 个迁移（备份早于当前版本）")
    print(f"已恢复到数据库 {database}，各表行数：")
    _print_counts(result.counts, before=manifest.counts)
    ok = True
    if not result.migrations_applied and result.counts != manifest.counts:
        # Without migrations in between nothing may change a count: the restore is incomplete.
        print("恢复后的行数与备份不符", file=sys.stderr)
        ok = False
    verified = result.verified
    if verified.ok:
        print(f"审计日志完整：已校验 {verified.checked} 条")
    else:
        print(f"审计日志校验未通过：第一条异常记录 #{verified.broken_entry_id}（{verified.reason}）；"
              f"此前 {verified.checked} 条校验通过", file=sys.stderr)
        ok = False
    return 0 if ok else 1


def cmd_regions_load(args: argparse.Namespace) -> int:
    from canpei.regions.services import RegionFileError, regions_load

    try:
        with open(args.file, encoding="utf-8-sig") as handle:
            count = regions_load(text=handle.read())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取区划文件：{exc.__class__.__name__}", file=sys.stderr)
        return 1
    except RegionFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"已载入 {count} 个区划")
    return 0


def _terminal_progress(label: str) -> Any:
    """A progress bar on a terminal; silent when the output is not one."""
    if not sys.stderr.isatty():
        return lambda done, total: None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def _operator(name: str | None) -> User | None:
    """The account an import or export runs as: CANPEI_USER or --as, else the first city admin."""
    from canpei.accounts.models import User
    from canpei.accounts.roles import Role

    username = name or os.environ.get("CANPEI_USER")
    if username:
        return User.objects.filter(username=username, is_active=True).first()
    return User.objects.filter(role=Role.CITY_ADMIN, is_active=True).order_by("id").first()


def cmd_import_template(args: argparse.Namespace) -> int:
    from xlsxwriter.exceptions import XlsxWriterException

    from canpei.spreadsheets.registry import import_specs
    from canpei.spreadsheets.templates import write_template

    specs = {spec.kind: spec for spec in import_specs()}
    if args.file not in specs:
        print(f"没有这种导入类型：{args.file}（可选：{'、'.join(specs)}）", file=sys.stderr)
        return 1
    if not args.out:
        print("请用 --out 指定模板文件，如 --out 模板.xlsx", file=sys.stderr)
        return 1
    try:
        write_template(args.out, specs[args.file])
    except (OSError, XlsxWriterException):
        print(f"无法写入模板：{args.out}", file=sys.stderr)
        return 1
    print(f"已写入{specs[args.file].label}导入模板：{args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from xlsxwriter.exceptions import XlsxWriterException

    from canpei.errors import ServiceError
    from canpei.spreadsheets.importing import write_report
    from canpei.spreadsheets.reader import MAX_FILE_BYTES
    from canpei.spreadsheets.registry import import_spec

    if args.kind == "template":
        return cmd_import_template(args)
    if args.out:
        print("--out 只用于 canpei import template KIND --out FILE", file=sys.stderr)
        return 1
    actor = _operator(args.as_user)
    if actor is None:
        print("找不到执行导入的用户：请用 --as 指定，或先创建市残联业务管理员", file=sys.stderr)
        return 1
    try:
        size = os.path.getsize(args.file)
        if size > MAX_FILE_BYTES:
            print(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 的上限", file=sys.stderr)
            return 1
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        print(f"无法读取文件：{exc.strerror}", file=sys.stderr)
        return 1
    try:
        result = import_spec(args.kind).run(actor=actor, data=data,
                                            filename=os.path.basename(args.file),
                                            dry_run=args.dry_run,
                                            progress=_terminal_progress("校验"))
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    # Bounded: the first errors of each column, then how many more of the same kind.
    for error in result.errors:
        print(str(error), file=sys.stderr)
    for line in result.more_errors():
        print(line, file=sys.stderr)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    if args.report:
        # The report lands where the operator asked, outside the sealed store: ID and
        # certificate numbers masked unless the acting user may reveal them.
        from canpei.accounts.roles import Perm, has_perm

        try:
            write_report(args.report, result, mask_numbers=not has_perm(actor, Perm.PERSON_REVEAL))
        except (OSError, XlsxWriterException):
            # The import itself stands (or was rejected); only the report is missing.
            print(f"无法写入报告：{args.report}", file=sys.stderr)
            return 1
    return 0 if result.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from xlsxwriter.exceptions import XlsxWriterException

    from canpei.errors import ServiceError
    from canpei.replicas import replica_reads
    from canpei.spreadsheets.registry import export_spec

    actor = _operator(args.as_user)
    if actor is None:
        print("找不到执行导出的用户：请用 --as 指定", file=sys.stderr)
        return 1
    spec = export_spec(args.kind)
    assert spec is not None  # argparse's choices are the registered kinds
    if args.purpose is not None and not args.full_numbers:
        print("--purpose 只与 --full-numbers 一起使用", file=sys.stderr)
        return 1
    # Asked for full numbers: the purpose is checked (and required) by the ledger itself.
    purpose = (args.purpose or "") if args.full_numbers else None
    fmt = "csv" if args.out.lower().endswith(".csv") else "xlsx"
    # A ledger may be read from a replica (canpei/replicas.py), like the pages' exports.
    try:
        if fmt == "csv":
            with open(args.out, "w", encoding="utf-8-sig", newline="") as handle, replica_reads():
                count = spec.run(actor=actor, out=handle, fmt=fmt, year=args.year,
                                 town=args.town or "", purpose=purpose)
        else:
            with replica_reads():
                count = spec.run(actor=actor, out=args.out, fmt=fmt, year=args.year,
                                 town=args.town or "", purpose=purpose)
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        for field, message in exc.errors:
            print(f"  {field}: {message}", file=sys.stderr)
        return 1
    except (OSError, XlsxWriterException) as exc:
        # xlsxwriter creates the file only when it closes the workbook, with its own error.
        print(f"无法写入文件：{getattr(exc, 'strerror', None) or args.out}", file=sys.stderr)
        return 1
    print(f"已导出 {count} 行到 {args.out}")
    return 0


def cmd_followups_schedule(args: argparse.Namespace) -> int:
    """Schedule the follow-ups of every final completion that has none yet."""
    from canpei.employment.followups.services import followup_months, schedule_followups

    created = schedule_followups(actor=None)
    months = "、".join(str(m) for m in followup_months())
    print(f"已排定就业跟踪 {created} 条（结业后 {months} 个月）")
    return 0


def cmd_summaries_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the reports' summaries (the targets' standings and tallies) from the records."""
    from canpei.reports.summaries import rebuild_all, summary_names

    if args.only is not None and args.only not in summary_names():
        print(f"没有名为 {args.only} 的汇总表：{'、'.join(summary_names())}", file=sys.stderr)
        return 2
    for name, written in rebuild_all(args.only).items():
        print(f"{name}: {written}")
    _vacuum_summaries()
    return 0


def _vacuum_summaries() -> None:
    """On PostgreSQL, VACUUM ANALYZE the summary tables just rewritten, as autovacuum would some
    minutes later: the pages read them through covering indexes, which need the visibility map
    (without it every row is a heap visit, measured at several times the time at 1,000,000
    persons), and the planner needs their new statistics."""
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # VACUUM cannot run inside a transaction (a test's, or a caller's)
    from canpei.employment.models import OpenFollowUpCell
    from canpei.funds.models import TownYearPaid

    summary_models = [m for m in apps.get_app_config("reports").get_models()
                      if m._meta.model_name != "plan"] + [OpenFollowUpCell, TownYearPaid]
    with connection.cursor() as cursor:
        for model in summary_models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def cmd_alerts_recompute(args: argparse.Namespace) -> int:
    """Compute the supervision alerts (监管预警) of a year (every year with data without --year)
    into their table: new ones raised, corrected ones resolved, decisions kept. Safe to run again."""
    from canpei.supervision.compute import recompute_all

    for outcome in recompute_all([args.year] if args.year else None):
        print(f"{outcome.year} 年度：新发现 {outcome.raised} 条，消除 {outcome.resolved} 条，"
              f"重新出现 {outcome.reopened} 条，待处理 {outcome.open} 条")
    return 0


def cmd_summaries_check(args: argparse.Namespace) -> int:
    """Compare the reports' summaries with the live computation; exit 1 naming each difference."""
    from canpei.reports.summaries import differences

    problems = differences()
    for problem in problems[:200]:
        print(problem)
    if problems:
        print(f"汇总表与实时计算不一致：{len(problems)} 处（canpei summaries rebuild 可重建）")
        return 1
    print("汇总表与实时计算一致")
    return 0


def _file_command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                  func: Callable[[argparse.Namespace], int], *, help: str) -> argparse.ArgumentParser:
    """The subcommand `name FILE`, run by `func`; its --help describes it with `func`'s docstring
    (argparse rewraps it, so its line breaks do not matter)."""
    parser = sub.add_parser(name, help=help, description=func.__doc__)
    parser.add_argument("file", metavar="FILE")
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from canpei.accounts.roles import Role
    from canpei.spreadsheets.registry import export_specs, import_specs

    parser = argparse.ArgumentParser(prog="canpei", description="残培：残疾人职业技能培训管理系统")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="migrate, optionally seed the demo, and serve with gunicorn")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--demo", action="store_true", help="seed the Jinjiang demo when the database is empty")
    run.add_argument("--persons", type=int, default=3000, help="persons in the demo seeded by --demo")
    run.add_argument("--no-worker", action="store_true",
                     help="do not start the background worker (run `canpei worker` elsewhere)")
    run.set_defaults(func=cmd_run)

    sub.add_parser("worker", help="run background jobs (imports) queued in the database"
                   ).set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    docs = sub.add_parser("docs", help="write the generated parts of docs/ (data dictionary, "
                          "state diagrams) from the registries and workflow tables")
    docs.add_argument("--out", metavar="DIR", help="the docs/ directory (default: the repository's)")
    docs.set_defaults(func=cmd_docs)

    demo = sub.add_parser("demo", help="deterministic synthetic Jinjiang data and one account per role")
    demo.add_argument("--persons", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(func=cmd_demo)

    cu = sub.add_parser("createuser", help="create an account (password from CANPEI_PASSWORD or a "
                        "prompt; to be changed at the first sign-in); officer roles only here")
    cu.add_argument("name")
    cu.add_argument("--role", required=True, choices=Role.values)
    cu.add_argument("--town", help="12-digit town code, for town_staff")
    cu.add_argument("--institution", type=int, help="institution id, for institution_staff")
    cu.set_defaults(func=cmd_createuser)

    tok = sub.add_parser("token", help="print a new API token for a user "
                         "(valid CANPEI_TOKEN_HOURS), or revoke all of the user's tokens")
    tok.add_argument("name")
    tok.add_argument("--revoke-all", action="store_true",
                     help="revoke every API token of the user instead of issuing one")
    tok.set_defaults(func=cmd_token)

    usr = sub.add_parser("user", help="account tools of the operator")
    usr_sub = usr.add_subparsers(dest="user_command", required=True)
    for name, text in (("deactivate", "deactivate an account and revoke its API tokens"),
                       ("activate", "reactivate an account")):
        cmd = usr_sub.add_parser(name, help=text)
        cmd.add_argument("name")
        cmd.set_defaults(func=cmd_user_active)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the audit log's keyed hash chain (exit 1 when tampered)")
    verify.add_argument("--anchor", metavar="FILE",
                        help="also fail when the log has fewer entries than this anchor, or "
                             "another entry at its position (see `canpei audit anchor`)")
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit_sub.add_parser(
        "anchor", help="write the signed head of the audit log, to keep outside the database")
    anchor.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    anchor.set_defaults(func=cmd_audit_anchor)

    imp = sub.add_parser(
        "import", help="import a spreadsheet (.xlsx or .csv): all rows or none",
        description="canpei import KIND FILE: all rows or none. "
                    "canpei import template KIND --out FILE.xlsx: the template workbook of KIND "
                    "(header row with required columns marked ＊, drop-downs, instructions and an example).")
    # The kinds the apps registered (canpei.spreadsheets.registry), in INSTALLED_APPS order.
    imp.add_argument("kind", choices=[spec.kind for spec in import_specs()] + ["template"],
                     help="what the file holds, or `template`")
    imp.add_argument("file", help="the spreadsheet to import (after `template`: the KIND)")
    imp.add_argument("--out", metavar="FILE.xlsx", help="with `template`: where to write it")
    imp.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    imp.add_argument("--report", metavar="OUT.xlsx", help="write the rows with their errors here")
    imp.add_argument("--as", dest="as_user", metavar="USER",
                     help="the account the import runs as (default CANPEI_USER, else the first city admin)")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", help="write a ledger (台账) as .xlsx or .csv")
    exp.add_argument("kind", choices=[spec.kind for spec in export_specs()])
    exp.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    exp.add_argument("--year", type=int,
                     help="survey year (surveys), class start year (trainees, classes), year due (followups)")
    exp.add_argument("--town", help="12-digit town code")
    exp.add_argument("--as", dest="as_user", metavar="USER",
                     help="the account the export runs as (default CANPEI_USER, else the first city admin)")
    exp.add_argument("--full-numbers", action="store_true",
                     help="write ID and certificate numbers in full (masked otherwise); needs --purpose "
                          "and a role that may reveal them; audited with the purpose")
    exp.add_argument("--purpose", metavar="TEXT", help="why the full numbers are needed (with --full-numbers)")
    exp.set_defaults(func=cmd_export)

    _file_command(sub, "backup", cmd_backup,
                  help="consistent backup of the whole database into one file")
    rs = _file_command(sub, "restore", cmd_restore,
                       help="replace the whole database with a backup made by `canpei backup`")
    rs.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rs.add_argument("--accept-unsigned", action="store_true",
                    help="restore a backup made before manifests were signed (format 1)")

    followups = sub.add_parser("followups", help="employment follow-ups of completers (就业跟踪)")
    followups_sub = followups.add_subparsers(dest="followups_command", required=True)
    followups_sub.add_parser(
        "schedule",
        help="schedule the follow-ups due (CANPEI_FOLLOWUP_MONTHS after the end, 3 and 6 by "
             "default) of every trainee of an audited class and every completed individual "
             "application that has none yet; safe to run again",
        description="Backfill the follow-ups (就业跟踪) of every final completion: each completed "
                    "trainee of a class whose completion the city audited, and each completed "
                    "individual application, gets one follow-up per CANPEI_FOLLOWUP_MONTHS, due "
                    "that many calendar months after the end. Idempotent: only missing ones are "
                    "added.").set_defaults(func=cmd_followups_schedule)

    summaries = sub.add_parser("summaries", help="the reports' summary tables (targets by town)")
    summaries_sub = summaries.add_subparsers(dest="summaries_command", required=True)
    rebuild = summaries_sub.add_parser(
        "rebuild", help="recompute every summary from the records (after a bulk load or restore)",
        description=cmd_summaries_rebuild.__doc__)
    rebuild.add_argument("--only", default=None, metavar="NAME",
                         help="rebuild this summary only (a new summary table, a repair), e.g. "
                              "matching")
    rebuild.set_defaults(func=cmd_summaries_rebuild)
    summaries_sub.add_parser(
        "check", help="compare the summaries with the live computation; exit 1 on a difference",
        description=cmd_summaries_check.__doc__).set_defaults(func=cmd_summaries_check)

    alerts = sub.add_parser("alerts", help="supervision alerts (监管预警)")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    recompute = alerts_sub.add_parser(
        "recompute", help="compute the alerts of a year (every year with data by default) into "
                          "their table; idempotent", description=cmd_alerts_recompute.__doc__)
    recompute.add_argument("--year", type=int, help="only this year")
    recompute.set_defaults(func=cmd_alerts_recompute)

    regions = sub.add_parser("regions", help="region tree tools")
    regions_sub = regions.add_subparsers(dest="regions_command", required=True)
    load = regions_sub.add_parser("load", help="load a CSV of region codes (code,name,level,parent)")
    load.add_argument("file")
    load.set_defaults(func=cmd_regions_load)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _setup()
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
