"""What each app offers to export and import, declared by the app itself.

The spreadsheet layer, the upload page (/imports/new), the export endpoint (/<kind>/export) and
`canpei export|import` read this registry; none of them names an app. An app declares its specs
in its own module (`people/exports.py`, `training/imports.py` …) and registers them from its
AppConfig.ready(), so the order of INSTALLED_APPS is the order the CLI and the pages list them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _, gettext_noop

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Forbidden, InvalidInput
from canpei.spreadsheets.writer import write_csv, write_xlsx

if TYPE_CHECKING:
    from canpei.accounts.models import User
    from canpei.regions.scope import Viewer
    from canpei.spreadsheets.importing import ImportResult
    from canpei.spreadsheets.importing import Progress


class ExportRun(Protocol):
    """Write a ledger for `actor` to `out`; the CLI passes `year`/`town`, a page its query
    string as `params`. `purpose` asks for full ID and certificate numbers (`numbers_released`).
    Returns the number of data rows written."""

    def __call__(self, *, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                 town: str = "", params: Mapping[str, Any] | None = None,
                 purpose: str | None = None) -> int: ...


PURPOSE_REQUIRED = gettext_noop("导出完整证件号码须填写用途")
PURPOSE_TOO_LONG = gettext_noop("用途不能超过 100 个字")
FULL_NUMBERS_FORBIDDEN = gettext_noop("无权导出完整证件号码")
PURPOSE_MAX = 100


def numbers_released(actor: User, purpose: str | None) -> bool:
    """Whether a ledger writes ID and certificate numbers in full (INTERFACES.md: masked unless
    `--full-numbers` with a purpose, by a role that may reveal). Not asked (`purpose` None):
    masked, for everyone. Asked: the purpose must be given, and the role must hold
    PERSON_REVEAL; otherwise the export is refused rather than quietly masked."""
    if purpose is None:
        return False
    purpose = purpose.strip()
    if not purpose:
        raise InvalidInput([("purpose", _(PURPOSE_REQUIRED))])
    if len(purpose) > PURPOSE_MAX:
        raise InvalidInput([("purpose", _(PURPOSE_TOO_LONG))])
    if not has_perm(actor, Perm.PERSON_REVEAL):
        raise Forbidden(_(FULL_NUMBERS_FORBIDDEN))
    return True


class ImportRun(Protocol):
    """Validate a whole file and write all of its rows or none."""

    def __call__(self, *, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                 progress: Progress = ...) -> ImportResult: ...


@dataclass(frozen=True)
class ExportSpec:
    """A ledger (台账) an app offers: `canpei export KIND` and the page at /KIND/export."""

    kind: str  # the CLI's KIND and the URL segment, as INTERFACES.md names them
    label: str  # 人员名册: the download is named 「{label}台账-<stamp>.xlsx」
    permission: str  # who may write it; others get a 404 from the page
    list_url: str  # the list a refused export goes back to
    headers: Sequence[str]
    run: ExportRun


@dataclass(frozen=True)
class ImportSpec:
    """A spreadsheet an app accepts: `canpei import KIND` and the upload page."""

    kind: str
    label: str  # as the upload page offers it
    # Every one of them is needed. Institutions keep their own classes' rosters and certificates
    # (ROSTER_EDIT) without being registry importers (IMPORT_RUN); the importer checks again.
    permissions: tuple[str, ...]
    # field -> the headers accepted for it; the first one is the template's header.
    columns: Mapping[str, tuple[str, ...]]
    run: ImportRun
    # Lines the upload page shows when the user may run this kind (shared lines shown once).
    help: tuple[str | Promise, ...] = field(default=())
    # The fields a file must have (marked on the upload page and in the template).
    required: tuple[str, ...] = ()
    # The template's drop-downs: field -> the values a clerk picks from, computed when the
    # template is written (towns and skills come from the database).
    choices: Callable[[], Mapping[str, Sequence[str]]] | None = None
    # One example row of the template's instructions sheet: field -> value.
    example: Mapping[str, str] = field(default_factory=dict)

    @property
    def display_label(self) -> str:
        """The label in the reader's language (`label` stays the Chinese msgid)."""
        return _(self.label)

    @property
    def template_headers(self) -> list[str]:
        return [names[0] for names in self.columns.values()]

    def column_help(self) -> list[ColumnHelp]:
        """Each column as the upload page and the template describe it."""
        picks = self.choices() if self.choices else {}
        return [ColumnHelp(field=name, header=names[0], required=name in self.required,
                           synonyms=tuple(names[1:]), values=tuple(picks.get(name, ())),
                           example=self.example.get(name, ""))
                for name, names in self.columns.items()]


@dataclass(frozen=True)
class ColumnHelp:
    field: str
    header: str
    required: bool
    synonyms: tuple[str, ...]
    values: tuple[str, ...]
    example: str


_EXPORTS: dict[str, ExportSpec] = {}
_IMPORTS: dict[str, ImportSpec] = {}


def register_export(spec: ExportSpec) -> None:
    """Called from an AppConfig.ready(); a kind is registered once."""
    if _EXPORTS.get(spec.kind, spec) is not spec:
        raise ValueError(f"export kind {spec.kind!r} is registered twice")
    _EXPORTS[spec.kind] = spec


def register_import(spec: ImportSpec) -> None:
    """Called from an AppConfig.ready(); a kind is registered once."""
    if _IMPORTS.get(spec.kind, spec) is not spec:
        raise ValueError(f"import kind {spec.kind!r} is registered twice")
    _IMPORTS[spec.kind] = spec


def export_specs() -> list[ExportSpec]:
    return list(_EXPORTS.values())


def export_spec(kind: str) -> ExportSpec | None:
    return _EXPORTS.get(kind)


def import_specs() -> list[ImportSpec]:
    return list(_IMPORTS.values())


def import_spec(kind: str) -> ImportSpec:
    """The spec of an import kind; KeyError for a kind no app registered."""
    return _IMPORTS[kind]


def import_kinds_for(user: Viewer) -> list[ImportSpec]:
    """The import kinds `user` may run, in the order the upload page offers them."""
    return [spec for spec in _IMPORTS.values()
            if all(has_perm(user, perm) for perm in spec.permissions)]


@dataclass
class Ledger:
    """One ledger as an app builds it from a scoped selector; `ledger_write` writes and audits it."""

    title: str
    headers: Sequence[str]
    widths: Sequence[int]
    rows: Iterable[Sequence[Any]]
    action: AuditAction  # export.<kind>
    object_type: str
    summary: str  # 导出人员台账: the row count (and masking) is appended
    filters: Mapping[str, Any]
    # None for a ledger without ID numbers; otherwise whether they are written in full, and why.
    full_numbers: bool | None = None
    purpose: str = ""
    # Extra audit fields some ledgers have always recorded.
    extra: Mapping[str, Any] = field(default_factory=dict)


def exported_by(actor: User) -> str:
    """The export mark's 'who': full name and account (QUALITY.md)."""
    return f"{actor.get_full_name() or actor.username}（{actor.username}）"


def ledger_write(*, actor: User, permission: str, ledger: Ledger | Callable[[], Ledger], out: str | IO[Any],
                 fmt: str = "xlsx") -> int:
    """Check `permission`, build the ledger (a `Ledger`, or a callable returning one, so that the
    refusal comes before any filter is judged), stream it as .xlsx or .csv and audit the export
    in its own transaction. Returns the number of data rows."""
    if not has_perm(actor, permission):
        raise Forbidden()
    built = ledger() if callable(ledger) else ledger
    now: dt.datetime = timezone.localtime()
    if fmt == "csv":
        count = write_csv(out, headers=built.headers, rows=built.rows,  # type: ignore[arg-type]
                          exported_by=exported_by(actor), exported_at=now)
    else:
        count = write_xlsx(out, title=built.title, headers=built.headers, rows=built.rows,
                           exported_by=exported_by(actor), exported_at=now, widths=built.widths)
    # The audit entry's summary is stored in the log's own language (Chinese).
    summary = f"{built.summary} {count} 行"  # zh-data
    changes: dict[str, Any] = {"filters": dict(built.filters), "rows": count, "format": fmt,
                               **built.extra}
    if built.full_numbers is not None:
        summary += f"（{'完整证件号' if built.full_numbers else '脱敏'}）"  # zh-data
        changes["full_numbers"] = built.full_numbers
        if built.full_numbers:
            summary += f"，用途：{built.purpose.strip()}"  # zh-data
            changes["purpose"] = built.purpose.strip()
    with transaction.atomic():
        audit_record(actor=actor, action=built.action, object_type=built.object_type,
                     summary=summary, changes=changes)
    return count
