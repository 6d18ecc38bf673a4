"""Mutants that `make mutate` sets aside in its "rate" column (the "raw" column counts them as
survivors), each with a one-line reason. A name is mutmut's (`module.x_function__mutmut_N`,
`module.xǁClassǁmethod__mutmut_N`); it changes when the function is edited, and a full run lists
names that no longer exist.

EQUIVALENT: the mutant changes nothing a user or the database could see.

OUT_OF_REACH: the mutated code runs only while a module is imported (a model's fields), which
mutmut does once, before it switches any mutant on, so no test run can see the mutant; each was
applied by hand instead and the test named fails on it. So are mutants of code or orderings that
only PostgreSQL reads or shows (mutmut's runs use SQLite): each was applied by hand and the test
named fails on it under DATABASE_URL=postgres://….
"""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {
    # canpei/workflows.py
    "canpei.workflows.xǁLifecycleǁapply__mutmut_6": (
        'A missing action becomes "XXXX" instead of "": both are unknown, refused with the same 422.'
    ),
    "canpei.workflows.xǁLifecycleǁapply__mutmut_152": (
        "or for and: the snapshot before is taken exactly when the table has a snapshot, so both "
        "are None or neither is."
    ),
    "canpei.workflows.x_one_of__mutmut_4": (
        "The separator joining fewer than two values: no separator appears in the result."
    ),
    "canpei.workflows.xǁLifecycleǁapply__mutmut_112": (
        "A full save of the row just read under its lock: no hook sets fields on it, the rest is unchanged."
    ),
    # canpei/training/rules.py
    "canpei.training.rules.x__add_months__mutmut_13": (
        "min(day, 32) for min(day, 31): a day of the month is never above 31."
    ),
    "canpei.training.rules.x__add_months__mutmut_28": (
        "The message of an AssertionError the loop never reaches (28 is always a valid day)."
    ),
    "canpei.training.rules.x__add_months__mutmut_29": (
        "The message of an AssertionError the loop never reaches (28 is always a valid day)."
    ),
    "canpei.training.rules.x__add_months__mutmut_30": (
        "The message of an AssertionError the loop never reaches (28 is always a valid day)."
    ),
    # canpei/institutions/rules.py
    "canpei.institutions.rules.x_credit_code_check_char__mutmut_5": (
        "rindex for index: each character occurs once in the code's alphabet."
    ),
    "canpei.institutions.rules.x_credit_code_error__mutmut_7": (
        "code[:18] for code[:17]: zip() with the 17 weights drops the 18th character anyway."
    ),
    # canpei/people/rules.py
    "canpei.people.rules.x_id_number_error__mutmut_23": (
        "number[:18] for number[:17]: the check zips 17 weights, the 18th character is dropped."
    ),
    "canpei.people.rules.x_id_number_error__mutmut_26": (
        "id_check_char(number[:18]): it zips 17 weights, the 18th character is dropped."
    ),
    # canpei/audit/services.py: the fast encoder is an optimisation with a fallback.
    "canpei.audit.services.x__make_tree_encoder__mutmut_2": (
        "No C encoder found: _canonical_tree falls back to _canonical, which writes the same."
    ),
    "canpei.audit.services.x__make_tree_encoder__mutmut_7": (
        "No C encoder found: _canonical_tree falls back to _canonical, which writes the same."
    ),
    "canpei.audit.services.x__make_tree_encoder__mutmut_11": (
        "No default for values outside JSON: the encoder is only given plain JSON trees."
    ),
    "canpei.audit.services.x__plain_json__mutmut_7": (
        "Every dict judged not plain: its changes take the slower path, which stores the same."
    ),
    # canpei/spreadsheets/reader.py
    "canpei.spreadsheets.reader.x__cell_extent__mutmut_104": (
        "(1, 0) for (0, 0) for a part that is not XML: one row of no columns breaks no limit."
    ),
    "canpei.spreadsheets.reader.x__cell_extent__mutmut_98": (
        "Which parsed elements are cleared: memory only, the extent is read at their start."
    ),
    "canpei.spreadsheets.reader.x__formula_cells__mutmut_6": (
        "A sheet noted without formulas is parsed anyway: it finds none, only slower."
    ),
    "canpei.spreadsheets.reader.x__formula_cells__mutmut_20": (
        "Other elements looked at as cells: none but a cell holds an <f>, the result is the same."
    ),
    "canpei.spreadsheets.reader.x__highest_row__mutmut_5": (
        "The first window starts with XXXX: no cell reference can match across it."
    ),
    "canpei.spreadsheets.reader.x__read_csv__mutmut_9": (
        "The delimiter guessed from 65,537 bytes instead of 65,536."
    ),
    "canpei.spreadsheets.reader.x__read_csv__mutmut_25": (
        "strict=None for strict=False: both falsy."
    ),
    "canpei.spreadsheets.reader.x__read_workbook__mutmut_23": (
        "(1, 0)[1] for (0, 0)[1]: both 0, for a sheet with no start."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_4": (
        "A five-byte head instead of four: XML has no NUL and no BOM past the second byte."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_54": (
        "rfind for find, compared with >= 0: found either way or neither."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_85": (
        "Cells counted from the window's second byte: a mismatch only sends the part to the exact count."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_113": (
        "here > 1 for here > 0: a window with one cell leaves the bound for an exact count, same result."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_147": (
        "cells -= here: the counts disagree, so the part takes the exact (slower) count."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_101": (
        "Rows of six digits missed by the scan: calamine's own height check refuses them with the same message."
    ),
    "canpei.spreadsheets.reader.x__scan_utf16__mutmut_9": (
        "UTF-16 for utf-16: codec names are not case-sensitive."
    ),
    "canpei.spreadsheets.reader.x__delimiter__mutmut_6": (
        "Best score starting at (1, 0): a delimiter found on any line scores (1, n >= 1), above both."
    ),
    "canpei.spreadsheets.reader.x__formula_cells__mutmut_11": (
        "iterparse(events=None): its default is the end events alone, as given."
    ),
    "canpei.spreadsheets.reader.x__formula_cells__mutmut_39": (
        'A missing reference read as "XXXX" instead of "": neither matches a cell reference.'
    ),
    "canpei.spreadsheets.reader.x__highest_row__mutmut_15": (
        "The window never cut at its last tag: each read searches all before it again, slower, same highest row."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_103": (
        "Long rows also sought past the last tag end: that tail is sought again in the next read."
    ),
    "canpei.spreadsheets.reader.x__scan_part__mutmut_229": (
        "Rows x columns == MAX_CELLS counted exactly: the bound passes there, as any count below it."
    ),
    "canpei.spreadsheets.reader.x__scan_utf16__mutmut_22": (
        "UTF-16-BE for utf-16-be: codec names are not case-sensitive."
    ),
    # canpei/validation.py
    "canpei.validation.x_bad_text__mutmut_20": (
        "X added to the allowed line breaks and tabs: X is no control character anyway."
    ),
    "canpei.validation.x__all_plain__mutmut_2": (
        "str - str raises TypeError, read as not plain: the slower check gives the same answer."
    ),
    "canpei.validation.x__all_plain__mutmut_6": (
        "Values joined by XXXX in the fast check: XXXX is printable, the answer is the same."
    ),
    "canpei.validation.x__all_plain__mutmut_4": (
        "Keys joined by XXXX in the fast check: XXXX is printable, the answer is the same."
    ),
    "canpei.validation.x__all_plain__mutmut_5": (
        "join(None) raises TypeError, read as not plain: the slower check gives the same answer."
    ),
    "canpei.validation.x__all_plain__mutmut_8": (
        "printable and not bad for printable or not bad: printable text holds no control "
        "character or surrogate, so it is never bad; otherwise the slower check answers alike."
    ),
    "canpei.validation.x_parse_decimal__mutmut_18": (
        "quantize(2E-n) for quantize(1E-n): quantize takes only the exponent of its argument."
    ),
    "canpei.validation.xǁFieldsǁ__init____mutmut_9": (
        "_all_plain(None) raises TypeError inside, read as not plain: the per-key check answers."
    ),
    "canpei.validation.xǁFieldsǁ__init____mutmut_22": (
        "keys < allowed for <=: keys equal to allowed take the per-key loop, which refuses none."
    ),
    "canpei.validation.xǁFieldsǁ__init____mutmut_23": (
        "The fast path never taken: the per-key loop finds every key allowed, as the fast path knew."
    ),
    # canpei/reports/targets.py
    "canpei.reports.targets.x_target_by_number__mutmut_4": (
        'No number read as "XXXX" instead of "": neither is a target, both refused alike.'
    ),
    "canpei.reports.targets.x_parse_plan__mutmut_27": (
        "19 digits let through to the lookup: Django finds no row for an out-of-range id, same refusal."
    ),
    "canpei.reports.targets.x_targets_report__mutmut_25": (
        "One town asked for, counted for every town: only that town's row is read, the same figures."
    ),
    # canpei/reports/indicators.py
    "canpei.reports.indicators.x__completion_counts__mutmut_86": (
        "SQL keywords in lower case (sum, from): SQL does not tell them apart."
    ),
    "canpei.reports.indicators.x__completion_counts__mutmut_90": (
        "union all for UNION ALL: SQL keywords are not case-sensitive."
    ),
    "canpei.reports.indicators.x__flag__mutmut_6": (
        "No output_field: Django infers IntegerField from the Value(1) and Value(0) branches."
    ),
    # ---- mut3 (issue 18): the money computations, canpei/funds/services.py and summaries.py ----
    "canpei.funds.summaries.x_live_town_paid__mutmut_7": (
        "Live rows ordered by town only: rebuild ignores the order, the differences sort, and "
        "money_by_town(live=True) (the tests' reference) reads one year; pages read the summary."
    ),
    "canpei.funds.summaries.x_live_town_paid__mutmut_8": (
        "Live rows ordered by year only: their readers (rebuild, the differences, which sort, and "
        "money_by_town(live=True), the tests' reference) never show this order; pages read the summary."
    ),
    "canpei.funds.summaries.x_lines_written__mutmut_47": (
        "Locks and reads every town's row of the year, not only the payment's: only those are used."
    ),
    "canpei.funds.summaries.x_lines_written__mutmut_67": (
        "save() of every field, not only persons and amount: the others are the row's own, unchanged."
    ),
    "canpei.funds.services.x_class_standard__mutmut_21": (
        "Start rank (-1, -1, -2) for (-1, -1, -1): every standard's rank is of 0s and 1s, above both."
    ),
    "canpei.funds.services.x_standard_create__mutmut_116": (
        "The assertion's and for or: f.finish() has already refused a request missing either."
    ),
    "canpei.funds.services.x_class_standard__mutmut_18": (
        "Start rank (-1, +1, -1) for (-1, -1, -1): every rank starts with 0 or 1, above -1 either way."
    ),
    "canpei.funds.services.x_disbursement_create__mutmut_6": (
        "_payment_from(None, data): the actor is handed down the request readers, none of which uses "
        "it; _write takes the actor itself."
    ),
    "canpei.funds.services.x_idempotent__mutmut_47": (
        "The stored key not looked up first: the insert then fails on the (user, key) constraint "
        "before the work runs, and that path looks the key up and replays the same answer."
    ),
    # ---- end mut3 ----
    # ---- mut4 (issue 18): canpei/funds/selectors.py, the ledger's sums and the money committed ---
    "canpei.funds.selectors.x_committed_classes_query__mutmut_58": (
        "No output_field on a class's amount: money × count resolves to a DecimalField, the same SQL."
    ),
    "canpei.funds.selectors.x_committed_classes_query__mutmut_64": (
        "No output_field on the Coalesce: it takes its first argument's, MONEY; the same SQL."
    ),
    "canpei.funds.selectors.x_committed_applications_query__mutmut_107": (
        "No output_field on the Coalesce: it takes its first argument's, MONEY; the same SQL."
    ),
    "canpei.funds.selectors.x_disbursement_list__mutmut_23": (
        "The application not joined: read when used (the API reads only its id), the same record."
    ),
    # (the sample of seed 19)
    "canpei.funds.selectors.x__named_first__mutmut_12": (
        "A named key ranked 2 instead of 1 above the blank's 0: the same order."
    ),
    "canpei.funds.selectors.x_class_cycle_expression__mutmut_16": (
        "No output_field on the cycle's Case: its branches are strings, a CharField; the same SQL."
    ),
    "canpei.funds.selectors.x_class_standard_amount__mutmut_61": (
        "No output_field on the standard's subquery: it takes the amount column's, the same SQL."
    ),
    "canpei.funds.selectors.x_ledger_years__mutmut_21": (
        "The years' SQL in upper case: unquoted names (V, B, D) fold alike in SQLite and PostgreSQL."
    ),
    "canpei.funds.selectors.x_lines_visible_to__mutmut_35": (
        'The fallback for a town staff user without a town, "XXXX" for "": the user table\'s '
        "check gives every town staff user a town (and no town has either code)."
    ),
    "canpei.funds.selectors.x_lines_visible_to__mutmut_36": (
        'The fallback for a town staff user without a town, "XXXX" for "": the user table\'s '
        "check gives every town staff user a town (and no town has either code)."
    ),
    # ---- end mut4 ----
    # ---- mut2 (issue 18): canpei/supervision/rules.py, the alert rules -------------------------
    "canpei.supervision.rules.x_identical_registers__mutmut_22": (
        "iterator(chunk_size=10001) for 10000: rows fetched in other batches, the same rows."
    ),
    "canpei.supervision.rules.x_identical_registers__mutmut_64": (
        "The best run starting at length 1: a run is reported from ALERT_IDENTICAL_SESSIONS (at least 2)."
    ),
    "canpei.supervision.rules.x_identical_registers__mutmut_70": (
        "The loop also at i=0: the first session is compared with itself, a run of 0 is never the best."
    ),
    "canpei.supervision.rules.x_ineligible_trainees__mutmut_17": (
        "person__gender left out of only(): the gender is loaded when read, the same value."
    ),
    "canpei.supervision.rules.x_outside_focus_group__mutmut_7": (
        "select_related(None): each class's institution is loaded when read, the same name."
    ),
    "canpei.supervision.rules.x_shared_phone__mutmut_43": (
        "iterator(chunk_size=None): Django's default batch (no prefetch here), the same rows."
    ),
    "canpei.reports.indicators.xǁ_Pathsǁprefixed__mutmut_5": (
        "A follow-up's prefixed paths without the person: nothing reads that path (persons are person_id)."
    ),
    "canpei.reports.indicators.x__figures__mutmut_37": (
        "No {} for a key without completions: every key with follow-ups has completions of its own."
    ),
    "canpei.reports.indicators.x__figures__mutmut_63": (
        "No 0 for a key without completions: every key with follow-ups has completions of its own."
    ),
    "canpei.reports.indicators.x__figures__mutmut_65": (
        "No 0 for a key without completions: every key with follow-ups has completions of its own."
    ),
}

OUT_OF_REACH: dict[str, str] = {
    "canpei.workflows.x_state_field__mutmut_1": (
        "An event's state column without its verbose name: "
        "test_the_event_rows_state_columns and the migrations check fail."
    ),
    "canpei.workflows.x_state_field__mutmut_2": (
        "An event's state column without max_length: "
        "test_the_event_rows_state_columns and the migrations check fail."
    ),
    "canpei.workflows.x_state_field__mutmut_7": (
        "An event's state column of max_length 17: "
        "test_the_event_rows_state_columns and the migrations check fail."
    ),
    # canpei/people/rules.py: the national code tables, built when the module is imported.
    "canpei.people.rules.x_national_choices__mutmut_1": "Table built without its name: the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_2": "Table read without its table name: empty, the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_4": "No member pattern: the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_5": "code_table without its name: the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_6": "The table argument missing: the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_7": "Read from the wrong code list: empty, the import fails.",
    "canpei.people.rules.x_national_choices__mutmut_8": "Members named 1, 2 …: test_national_code_tables fails.",
    "canpei.people.rules.x_national_choices__mutmut_9": "Members named XXC1…: test_national_code_tables fails.",
    "canpei.people.rules.x_national_choices__mutmut_10": "Members named c1…: test_national_code_tables fails.",
    "canpei.people.rules.x_national_choices__mutmut_11": "A pattern naming {CODE}: the import fails.",
    # canpei/audit/services.py: the C encoder is made when the module is imported.
    "canpei.audit.services.x__make_tree_encoder__mutmut_15": "Keys unsorted: test_audit_encoding fails.",
    "canpei.audit.services.x__make_tree_encoder__mutmut_19": "An argument missing: the import fails.",
    "canpei.audit.services.x__make_tree_encoder__mutmut_28": "Items joined by XX,XX: test_audit_encoding fails.",
    "canpei.audit.services.x__make_tree_encoder__mutmut_29": "Keys unsorted: test_audit_encoding fails.",
    "canpei.audit.services.x__make_tree_encoder__mutmut_33": "join(None): test_audit_encoding fails.",
    # canpei/validation.py: the set of a code table's values is cached per process, and mutmut's
    # stats run fills the cache before a mutant's process is forked from it.
    "canpei.validation.x_choice_values__mutmut_4": "No set cached: test_validation_fields fails.",
    "canpei.validation.x_choice_values__mutmut_5": "frozenset(None): test_validation_fields fails.",
    # canpei/reports/targets.py: plans alike in their dates; SQLite returns them in id order anyway.
    "canpei.reports.targets.x_default_plan__mutmut_28": (
        "Plans to come alike without the id tie-break: "
        "test_of_two_plans_alike_the_default_is_the_one_with_the_lower_number fails on PostgreSQL."
    ),
    "canpei.reports.targets.x_parse_plan__mutmut_13": (
        "Plans holding the year alike without the id tie-break: "
        "test_of_two_plans_holding_the_year_alike_the_lower_number_is_taken fails on PostgreSQL."
    ),
    # canpei/reports/indicators.py: the median on PostgreSQL (SQLite takes the ordered column).
    "canpei.reports.indicators.x__median_pg__mutmut_2": (
        "PERCENTILE_DISC over no column: test_the_city_totals fails on PostgreSQL."
    ),
    "canpei.reports.indicators.x__median_pg__mutmut_21": (
        "The median without its output field: test_the_city_totals fails on PostgreSQL."
    ),
    "canpei.reports.indicators.x__employment__mutmut_50": (
        "No median aggregate on PostgreSQL: test_the_city_totals fails on PostgreSQL."
    ),
    # canpei/funds/services.py: the budget's row lock (SQLite ignores FOR UPDATE).
    "canpei.funds.services.x__lock_budget__mutmut_8": (
        "Budget rows read without FOR UPDATE: test_concurrent_application_payments_never_pay_"
        "beyond_the_budget fails on PostgreSQL (four payments, two paid, not four)."
    ),
}
