"""The `canpei` command line (also `python -m canpei`)."""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
import sys
from typing import Sequence


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


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
        print("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, label in demo_accounts():
            print(f"  {username:<16} {label}")
    url = f"http://{args.host}:{args.port}/"
    print(f"\n残培已启动：{url}\n", flush=True)
    command = [sys.executable, "-m", "gunicorn", "canpei.wsgi:application",
               "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
               "--threads", "4", "--access-logfile", "-",
               # The access log must not carry query strings (ID tails, names).
               "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms']
    return subprocess.call(command)


def cmd_demo(args: argparse.Namespace) -> int:
    from canpei.demo import DEMO_PASSWORD, demo_accounts, demo_load

    _migrate(verbosity=0)
    summary = demo_load(persons=args.persons, seed=args.seed, progress=sys.stderr.isatty())
    print(f"演示数据已生成：{summary['persons']} 人。演示账号（密码 {DEMO_PASSWORD}）：")
    for username, label in demo_accounts():
        print(f"  {username:<16} {label}")
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
    from canpei.accounts.services import token_issue

    user = User.objects.filter(username=args.name, is_active=True).first()
    if user is None:
        print(f"用户不存在或已停用：{args.name}", file=sys.stderr)
        return 1
    print(token_issue(actor=None, user=user))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from canpei.audit.services import audit_verify

    result = audit_verify()
    if result.ok:
        print(f"审计日志完整：已校验 {result.checked} 条")
        return 0
    print(f"审计日志被篡改：第一条异常记录 #{result.broken_entry_id}（{result.reason}）；"
          f"此前 {result.checked} 条校验通过", file=sys.stderr)
    return 1


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


def build_parser() -> argparse.ArgumentParser:
    from canpei.accounts.roles import Role

    parser = argparse.ArgumentParser(prog="canpei", description="残培：残疾人职业技能培训管理系统")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="migrate, optionally seed the demo, and serve with gunicorn")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--demo", action="store_true", help="seed the Jinjiang demo when the database is empty")
    run.add_argument("--persons", type=int, default=3000, help="persons in the demo seeded by --demo")
    run.set_defaults(func=cmd_run)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="deterministic synthetic Jinjiang data and one account per role")
    demo.add_argument("--persons", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(func=cmd_demo)

    cu = sub.add_parser("createuser", help="create an account (password from CANPEI_PASSWORD or a prompt)")
    cu.add_argument("name")
    cu.add_argument("--role", required=True, choices=Role.values)
    cu.add_argument("--town", help="12-digit town code, for town_staff")
    cu.add_argument("--institution", type=int, help="institution id, for institution_staff")
    cu.set_defaults(func=cmd_createuser)

    tok = sub.add_parser("token", help="print a new API token for a user")
    tok.add_argument("name")
    tok.set_defaults(func=cmd_token)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the audit log's hash chain").set_defaults(func=cmd_audit_verify)

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
