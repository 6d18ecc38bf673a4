"""The hand-made mutants of issue 18 and the test that must fail on each (`python -m
tests.mutation.by_hand [PREFIX ...]`): the gaps the issue lists, the table entries mutmut does not
mutate, and the survivors of `make mutate` that a test was written for, including those out of
mutmut's reach (tests/mutation/equivalent.py).

Each mutant is applied to a copy of canpei/ and tests/ in a temporary directory (never to the
work tree), the named test is run there, and the line says whether it failed, as it must.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# (name, file, the original text, the mutant, the test that must fail)
CASES: list[tuple[str, str, str, str, str]] = [
    (
        "1 fail_audit reason",
        "canpei/training/rules.py",
        "A.FAIL_AUDIT: Step(frozenset({S.COMPLETED}), S.AUDIT_FAILED, CITY, comment_required=True,",
        "A.FAIL_AUDIT: Step(frozenset({S.COMPLETED}), S.AUDIT_FAILED, CITY, comment_required=False,",
        "tests/training/classes/test_rule_gaps.py::test_return_fail_audit_and_cancel_each_refuse_a_missing_reason",
    ),
    (
        "2 submitted binds",
        "canpei/training/rules.py",
        "BINDING_STATES = frozenset({S.SUBMITTED, S.APPROVED,",
        "BINDING_STATES = frozenset({S.APPROVED,",
        "tests/training/classes/test_rule_gaps.py::test_a_submitted_class_binds_its_trainees_against_an_overlapping_class",
    ),
    (
        "3a withdraw after failed audit",
        "canpei/training/rules.py",
        "S.RUNNING,\n                             S.AUDIT_FAILED})",
        "S.RUNNING})",
        "tests/training/classes/test_rule_gaps.py::test_a_trainee_still_enrolled_after_a_failed_audit_can_be_withdrawn",
    ),
    (
        "3b certificates settled",
        "canpei/training/rules.py",
        "CERTIFICATE_STATES = frozenset({S.COMPLETED, S.AUDIT_FAILED, S.AUDITED, S.SETTLED})",
        "CERTIFICATE_STATES = frozenset({S.COMPLETED, S.AUDIT_FAILED, S.AUDITED})",
        "tests/training/classes/test_rule_gaps.py::test_certificates_are_entered_on_an_audited_or_settled_class",
    ),
    (
        "4 month // 13",
        "canpei/training/rules.py",
        "month // 12",
        "month // 13",
        "tests/training/classes/test_rule_gaps.py::test_the_cycle_of_a_class_across_the_year_end",
    ),
    (
        "5a role message",
        "canpei/workflows.py",
        'ROLE_NOT_ALLOWED = "「{action}」须由{role}执行"',
        'ROLE_NOT_ALLOWED = "「{action}」由{role}执行"',
        "tests/training/classes/test_rule_gaps.py::test_the_state_and_role_refusals_read_as_written",
    ),
    (
        "5b state message",
        "canpei/workflows.py",
        'TRANSITION_NOT_ALLOWED = "{noun}当前状态为「{{state}}」，不能执行「{{action}}」"',
        'TRANSITION_NOT_ALLOWED = "{noun}状态为「{{state}}」，不能执行「{{action}}」"',
        "tests/training/classes/test_rule_gaps.py::test_the_state_and_role_refusals_read_as_written",
    ),
    (
        "5c roles joined",
        "canpei/workflows.py",
        'role="或".join(',
        'role="、".join(',
        "tests/training/classes/test_rule_gaps.py::test_the_state_and_role_refusals_read_as_written",
    ),
    (
        "5d one_of",
        "canpei/workflows.py",
        "return f\"{'、'.join(values[:-1])} 或 {values[-1]}\"",
        "return f\"{'、'.join(values[:-1])} 和 {values[-1]}\"",
        "tests/training/classes/test_rule_gaps.py::test_the_state_and_role_refusals_read_as_written",
    ),
    (
        "6a bulk username",
        "canpei/audit/services.py",
        'actor_username = actor.username if actor is not None else ""\n    last = [head.last_hash]',
        'actor_username = actor.username if actor is not None else "XXXX"\n    last = [head.last_hash]',
        "tests/audit/test_audit_record_many_fields.py",
    ),
    (
        "6b bulk summary",
        "canpei/audit/services.py",
        'summary = str(item.get("summary", ""))[:255]',
        'summary = str(item.get("XXsummaryXX", ""))[:255]',
        "tests/audit/test_audit_record_many_fields.py",
    ),
    (
        "6c bulk object type",
        "canpei/audit/services.py",
        'object_type = item.get("object_type", "")',
        'object_type = item.get("object_type", "XX")',
        "tests/audit/test_audit_record_many_fields.py",
    ),
    (
        "6d bulk actor id",
        "canpei/audit/services.py",
        'actor_id = actor.pk if actor is not None else None\n    actor_username = actor.username if actor is not None else ""\n    last',
        'actor_id = None\n    actor_username = actor.username if actor is not None else ""\n    last',
        "tests/audit/test_audit_record_many_fields.py",
    ),
    (
        "7a total size sum",
        "canpei/spreadsheets/reader.py",
        "total += info.file_size",
        "total = info.file_size",
        "tests/spreadsheets/test_reader_edges.py",
    ),
    (
        "7b total size >=",
        "canpei/spreadsheets/reader.py",
        "if total > MAX_UNCOMPRESSED_BYTES:",
        "if total >= MAX_UNCOMPRESSED_BYTES:",
        "tests/spreadsheets/test_reader_edges.py",
    ),
    (
        "8 column * 27",
        "canpei/spreadsheets/reader.py",
        "index = index * 26 + (ord(ch) - 64)",
        "index = index * 27 + (ord(ch) - 64)",
        "tests/spreadsheets/test_reader_edges.py::test_a_formula_is_found_in_its_column_past_z",
    ),
    (
        "9 leading blank rows dropped",
        "canpei/spreadsheets/reader.py",
        "        return iter(sheet.iter_rows())",
        "        return itertools.dropwhile(lambda r: not any(c not in (None, '') for c in r), sheet.iter_rows())",
        "tests/spreadsheets/test_reader_edges.py::test_rows_keep_their_spreadsheet_numbers_below_leading_blank_rows",
    ),
    (
        "10a csv rows >=",
        "canpei/spreadsheets/reader.py",
        "            if height > MAX_ROWS + HEADER_SEARCH_ROWS:\n                raise SpreadsheetError(_(FILE_TOO_MANY_ROWS).format(limit=MAX_ROWS))\n    except csv.Error",
        "            if height >= MAX_ROWS + HEADER_SEARCH_ROWS:\n                raise SpreadsheetError(_(FILE_TOO_MANY_ROWS).format(limit=MAX_ROWS))\n    except csv.Error",
        "tests/spreadsheets/test_reader_edges.py::test_a_csv_at_the_row_limit_is_read_and_one_row_more_is_refused",
    ),
    (
        "10b extent rows >=",
        "canpei/spreadsheets/reader.py",
        "    if rows > MAX_ROWS + HEADER_SEARCH_ROWS:",
        "    if rows >= MAX_ROWS + HEADER_SEARCH_ROWS:",
        "tests/spreadsheets/test_reader_edges.py::test_a_workbook_at_the_row_limit_is_read_and_one_row_more_is_refused",
    ),
    (
        "10c first serial",
        "canpei/spreadsheets/reader.py",
        "if 1 <= value < 2958466:",
        "if 1 < value < 2958466:",
        "tests/spreadsheets/test_reader_edges.py::test_the_first_serial_is_a_date_and_the_ones_outside_the_range_are_errors",
    ),
    (
        "10d last serial",
        "canpei/spreadsheets/reader.py",
        "if 1 <= value < 2958466:",
        "if 1 <= value < 2958465:",
        "tests/spreadsheets/test_reader_edges.py::test_excel_serials_up_to_the_last_day_excel_knows",
    ),
    (
        "10e empty date",
        "canpei/spreadsheets/reader.py",
        'if value is None or value == "":\n        return None\n    if isinstance(value, dt.datetime)',
        "if value is None:\n        return None\n    if isinstance(value, dt.datetime)",
        "tests/spreadsheets/test_reader_edges.py::test_an_empty_date_cell_is_no_date",
    ),
    (
        "11a promote target",
        "canpei/institutions/rules.py",
        "Action.PROMOTE: Step(frozenset({S.DESIGNATED}), S.DEMONSTRATION, CITY)",
        "Action.PROMOTE: Step(frozenset({S.DESIGNATED}), S.DESIGNATED, CITY)",
        "tests/institutions/test_designation_offers.py",
    ),
    (
        "11b reinstate source",
        "canpei/institutions/rules.py",
        "Action.REINSTATE: Step(frozenset({S.SUSPENDED}), S.DESIGNATED, CITY)",
        "Action.REINSTATE: Step(frozenset({S.SUSPENDED, S.DESIGNATED}), S.DESIGNATED, CITY)",
        "tests/institutions/test_designation_offers.py",
    ),
    (
        "11c reinstate date >=",
        "canpei/institutions/rules.py",
        "institution.designated_to >= today",
        "institution.designated_to > today",
        "tests/institutions/test_designation_offers.py",
    ),
    (
        "11d keep demonstration",
        "canpei/institutions/rules.py",
        "keep=frozenset({S.DEMONSTRATION})",
        "keep=frozenset()",
        "tests/institutions/test_designation_offers.py",
    ),
    (
        "11e offers drop date check",
        "canpei/institutions/rules.py",
        "if date_refusal(institution, action, today) is None]",
        "if date_refusal(institution, action, today) is None or action == Action.REINSTATE]",
        "tests/institutions/test_designation_offers.py",
    ),
]

CASES += [
    (
        "W one_of < 3",
        "canpei/workflows.py",
        "if len(values) < 2:",
        "if len(values) < 3:",
        "tests/test_workflow_engine_edges.py",
    ),
    (
        "W one_of XXXX",
        "canpei/workflows.py",
        'return "".join(values)',
        'return "XXXX".join(values)',
        "tests/test_workflow_engine_edges.py",
    ),
    (
        "W state_field verbose None",
        "canpei/workflows.py",
        "return models.CharField(verbose_name, max_length=16, choices=states.choices)",
        "return models.CharField(None, max_length=16, choices=states.choices)",
        "tests/test_workflow_engine_edges.py",
    ),
    (
        "W state_field max_length None",
        "canpei/workflows.py",
        "return models.CharField(verbose_name, max_length=16, choices=states.choices)",
        "return models.CharField(verbose_name, max_length=None, choices=states.choices)",
        "tests/test_workflow_engine_edges.py",
    ),
    (
        "W post_init message",
        "canpei/workflows.py",
        'raise ValueError(f"{self.audit_name}: hooks for actions not in the table: {unknown}")',
        "raise ValueError(None)",
        "tests/test_workflow_engine_edges.py",
    ),
    (
        "W updated_at",
        "canpei/workflows.py",
        'setattr(locked, "updated_at", timezone.now())',
        'setattr(locked, "XXupdated_atXX", timezone.now())',
        "tests/test_workflow_engine_edges.py",
    ),
]

NC = 'return code_table(name, table, source=NATIONAL_CODES, member="C{code}")'
CASES += [
    (
        "P nc member default",
        "canpei/people/rules.py",
        NC,
        "return code_table(name, table, source=NATIONAL_CODES, )",
        "tests/people/test_national_code_tables.py",
    ),
    (
        "P nc member XXC",
        "canpei/people/rules.py",
        NC,
        'return code_table(name, table, source=NATIONAL_CODES, member="XXC{code}XX")',
        "tests/people/test_national_code_tables.py",
    ),
    (
        "P nc member c",
        "canpei/people/rules.py",
        NC,
        'return code_table(name, table, source=NATIONAL_CODES, member="c{code}")',
        "tests/people/test_national_code_tables.py",
    ),
    (
        "P nc name None",
        "canpei/people/rules.py",
        NC,
        'return code_table(None, table, source=NATIONAL_CODES, member="C{code}")',
        "tests/people/test_national_code_tables.py",
    ),
    (
        "P nc no source",
        "canpei/people/rules.py",
        NC,
        'return code_table(name, table, member="C{code}")',
        "tests/people/test_national_code_tables.py",
    ),
    (
        "T overlap or",
        "canpei/training/rules.py",
        "return a_start <= b_end and b_start <= a_end",
        "return a_start <= b_end or b_start <= a_end",
        "tests/training/classes/test_rule_gaps.py",
    ),
    (
        "T overlap <",
        "canpei/training/rules.py",
        "return a_start <= b_end and b_start <= a_end",
        "return a_start < b_end and b_start <= a_end",
        "tests/training/classes/test_rule_gaps.py",
    ),
    (
        "T overlap <2",
        "canpei/training/rules.py",
        "return a_start <= b_end and b_start <= a_end",
        "return a_start <= b_end and b_start < a_end",
        "tests/training/classes/test_rule_gaps.py",
    ),
    (
        "T exempt not in",
        "canpei/training/rules.py",
        "return TrainingMode.REMOTE in (mode_a, mode_b)",
        "return TrainingMode.REMOTE not in (mode_a, mode_b)",
        "tests/training/classes/test_rule_gaps.py",
    ),
]

ENC = 'encode = make(None, str, json.encoder.encode_basestring, None, ":", ",", True, False, True)'
ENC_TEST = "tests/audit/test_audit_encoding.py"
CASES += [
    (
        "A tree encoder unsorted",
        "canpei/audit/services.py",
        ENC,
        ENC.replace('",", True,', '",", None,'),
        ENC_TEST,
    ),
    (
        "A tree encoder sort False",
        "canpei/audit/services.py",
        ENC,
        ENC.replace('",", True,', '",", False,'),
        ENC_TEST,
    ),
    (
        "A tree encoder separator",
        "canpei/audit/services.py",
        ENC,
        ENC.replace('":", ","', '":", "XX,XX"'),
        ENC_TEST,
    ),
    (
        "A tree encoder argument missing",
        "canpei/audit/services.py",
        ENC,
        ENC.replace("None, str, ", "None, "),
        ENC_TEST,
    ),
    (
        "A tree encoder join None",
        "canpei/audit/services.py",
        'return "".join(encode(value, 0))',
        'return "".join(None)',
        ENC_TEST,
    ),
    (
        "A plain nested dict",
        "canpei/audit/services.py",
        "or not (isinstance(item, _SCALARS) or _plain_json(item)):",
        "or not (isinstance(item, _SCALARS) or _plain_json(None)):",
        ENC_TEST,
    ),
    (
        "A plain list",
        "canpei/audit/services.py",
        "            if not (isinstance(item, _SCALARS) or _plain_json(item)):",
        "            if (isinstance(item, _SCALARS) or _plain_json(item)):",
        ENC_TEST,
    ),
    (
        "A bulk summary default",
        "canpei/audit/services.py",
        'summary = str(item.get("summary", ""))[:255]',
        'summary = str(item.get("summary", ))[:255]',
        ENC_TEST,
    ),
]

# PostgreSQL only (DATABASE_URL): the bulk insert through COPY.
COPY = "tests/audit/test_audit_record_many.py"
CASES += [
    (
        "PG copy ids",
        "canpei/audit/services.py",
        "ids = next_ids(AuditEntry, len(entries))",
        "ids = None",
        COPY,
    ),
    (
        "PG copy rows",
        "canpei/audit/services.py",
        "copy_rows(AuditEntry, _ENTRY_COLUMNS,",
        "copy_rows(_ENTRY_COLUMNS,",
        COPY,
    ),
    (
        "PG copy zip",
        "canpei/audit/services.py",
        "digest), key in zip(chained(), ids)))",
        "digest), key in zip(ids, chained())))",
        COPY,
    ),
]

# audit_verify_rows: what a backup's log is checked with before it is restored.
BACKUP = "tests/test_backup.py"
CASES += [
    (
        "B keyed required or",
        "canpei/audit/services.py",
        "if keyed_required and not keyed:",
        "if keyed_required or not keyed:",
        BACKUP,
    ),
    (
        "B keyed from head",
        "canpei/audit/services.py",
        'keyed = head is not None and "legacy_count" in head',
        'keyed = head is None and "legacy_count" in head',
        BACKUP,
    ),
    (
        "B legacy count",
        "canpei/audit/services.py",
        "if head is not None and keyed else None)",
        "if head is None and keyed else None)",
        BACKUP,
    ),
    (
        "B unsigned message",
        "canpei/audit/services.py",
        "return VerifyResult(False, 0, None, HEAD_UNSIGNED)",
        "return VerifyResult(False, 0, None, None)",
        BACKUP,
    ),
]

# Survivors of the reader that a test was written for.
R = "canpei/spreadsheets/reader.py"
EDGES = "tests/spreadsheets/test_reader_edges.py"
SHEETS = (
    'sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))'
)
CASES += [
    ("R sheet part or", R, SHEETS, SHEETS.replace(" and n.endswith", " or n.endswith"), EDGES),
    ("R sheet part XML", R, SHEETS, SHEETS.replace('".xml"', '".XML"'), EDGES),
    (
        "R height from columns",
        R,
        "height = (sheet.end or (-1, 0))[0] + 1",
        "height = (sheet.end or (-1, 0))[1] + 1",
        EDGES,
    ),
    ("R html", R, 'b"<html", b"<!doctype"', 'b"XX<htmlXX", b"<!doctype"', EDGES),
    ("R csv newline", R, 'encoding=encoding, newline="")', "encoding=encoding, )", EDGES),
    ("R header >=", R, "hits > best[1]", "hits >= best[1]", EDGES),
    ("R header hits 2", R, "hits = sum(1 for cell", "hits = sum(2 for cell", EDGES),
    (
        "R footer",
        R,
        "        if not isinstance(cell, str):\n            return False\n        text = cell.strip()",
        "        if isinstance(cell, str):\n            return False\n        text = cell.strip()",
        EDGES,
    ),
]

CASES += [
    (
        "R ratio floor",
        R,
        "and info.file_size > 10 * 1024 * 1024:",
        "and info.file_size > 10 / 1024 * 1024:",
        EDGES,
    ),
    (
        "R shared strings name",
        R,
        'endswith("sharedstrings.xml")',
        'endswith("SHAREDSTRINGS.XML")',
        EDGES,
    ),
    (
        "R xls suffix",
        R,
        'if suffix in {".xlsx", ".xls", ".xlsm"}:',
        'if suffix in {".xlsx", "XX.xlsXX", ".xlsm"}:',
        EDGES,
    ),
    (
        "R size >=",
        R,
        "    if len(data) > MAX_FILE_BYTES:",
        "    if len(data) >= MAX_FILE_BYTES:",
        EDGES,
    ),
]

# Survivors of the validation toolkit that a test was written for.
V = "canpei/validation.py"
VF = "tests/test_validation_fields.py"
CASES += [
    (
        "V date required",
        V,
        'stored as None unless `required`."""\n        if not self.runs(field, required):',
        'stored as None unless `required`."""\n        if not self.runs(field, None):',
        VF,
    ),
    (
        "V raw default",
        V,
        "return self.data.get(field, default)",
        "return self.data.get(field, )",
        VF,
    ),
    (
        "V blank choice",
        V,
        'values = [*choices.values, ""] if blank else choices.values',
        'values = [*choices.values, "XXXX"] if blank else choices.values',
        VF,
    ),
]

CASES += [
    (
        "V integer field",
        V,
        "required: bool = False) -> int | None:\n        if not self.runs(field, required):",
        "required: bool = False) -> int | None:\n        if not self.runs(None, required):",
        VF,
    ),
    (
        "V decimal runs",
        V,
        "-> Decimal | None:\n        if not self.runs(field, required):\n            return None\n        value = parse_decimal",
        "-> Decimal | None:\n        if self.runs(field, required):\n            return None\n        value = parse_decimal",
        VF,
    ),
    (
        "V choice set cache",
        V,
        "found = _CHOICE_SETS[choices] = frozenset(str(v) for v in choices.values)",
        "found = _CHOICE_SETS[choices] = None",
        VF,
    ),
]

CASES += [
    (
        "R nul deep",
        R,
        'if "\\x00" in decoder.decode(view[at:at + SCAN_CHUNK]):',
        'if "XX\\x00XX" in decoder.decode(view[at:at + SCAN_CHUNK]):',
        EDGES,
    ),
    (
        "R nul message",
        R,
        "                    raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))\n            decoder.decode",
        "                    raise SpreadsheetError(None)\n            decoder.decode",
        EDGES,
    ),
    (
        "R formula at a window start",
        R,
        'window.find(b"<f", 0, end) >= 0)',
        'window.find(b"<f", 0, end) >= 1)',
        EDGES,
    ),
]

# The targets' definitions (tests/reports/test_target_definitions.py).
T = "canpei/reports/targets.py"
TD = "tests/reports/test_target_definitions.py"
CASES += [
    ("D target 2 number", T, 'number=2, label="企业技能岗位', 'number=3, label="企业技能岗位', TD),
    (
        "D target 2 high skill and",
        T,
        "| Q(level__in=HIGH_LEVELS)\n                 | Q(high_skill=True)),",
        "| Q(level__in=HIGH_LEVELS)\n                 & Q(high_skill=True)),",
        TD,
    ),
    (
        "D target 3 wants work",
        T,
        "Q(training_need=True, wants_work=True, entrepreneurship_intention=True)",
        "Q(training_need=True, entrepreneurship_intention=True)",
        TD,
    ),
    (
        "D target 1 unemployed",
        T,
        "names=Q(new_entrant=True) | Q(registered_unemployed=True),",
        "names=Q(new_entrant=True) | Q(registered_unemployed=None),",
        TD,
    ),
    ("D target 3 short", T, 'short="有创业意愿、已创业",', "short=None,", TD),
]

CASES += [
    (
        "D default plan and",
        T,
        '.order_by("-period_start", "id").first()\n            or Plan.objects',
        '.order_by("-period_start", "id").first()\n            and Plan.objects',
        TD,
    ),
    (
        "D default plan ID",
        T,
        'or Plan.objects.order_by("period_start", "id").first())',
        'or Plan.objects.order_by("period_start", "ID").first())',
        TD,
    ),
]

# The ID check character of digits that are not ASCII.
CASES += [
    (
        "I check char fallback None",
        "canpei/people/rules.py",
        "total = sum(int(d) * w for d, w in zip(first17, CHECK_WEIGHTS))",
        "total = None",
        "tests/people/test_id_check_char.py",
    ),
    (
        "I check char fallback weights",
        "canpei/people/rules.py",
        "total = sum(int(d) * w for d, w in zip(first17, CHECK_WEIGHTS))",
        "total = sum(int(d) * w for d, w in zip(first17, None))",
        "tests/people/test_id_check_char.py",
    ),
]


def main(prefixes: list[str]) -> int:
    bad = 0
    with tempfile.TemporaryDirectory(prefix="canpei-by-hand-") as tmp:
        copy = Path(tmp)
        for part in ("canpei", "tests"):
            shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy)
        for name, path, old, new, test in CASES:
            if prefixes and not any(name.startswith(p) for p in prefixes):
                continue
            target = copy / path
            source = target.read_text()
            assert source.count(old) == 1, f"{name}: the original text is not found once"
            target.write_text(source.replace(old, new))
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", test, "-x", "-q", "-p", "no:randomly"],
                    cwd=copy,
                    capture_output=True,
                    text=True,
                )
            finally:
                target.write_text(source)
            failed = done.returncode != 0
            bad += not failed
            print(
                f"{'fails, as it must' if failed else 'PASSES ON THE MUTANT'}: {name}", flush=True
            )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
