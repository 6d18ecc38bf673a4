"""The plans (计划) the city is measured against. A plan is a name and a period; its three
targets are computed from the records (canpei.reports.targets), never typed in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from canpei.timestamps import Timestamped


class Plan(Timestamped):
    """A plan period, such as the seed plan 残疾人职业技能提升计划（2019-2020年）."""

    name = models.CharField(_("计划名称"), max_length=100, unique=True)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    document = models.CharField(_("文号"), max_length=50, blank=True)

    class Meta:
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")),
                                   name="plan_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


# ---- the targets' summary (canpei.reports.summaries.targets) ------------------------------------
# Kept by the writers' transactions (hooks.outcomes_changed), so the targets page, the uncovered
# lists and the home pages read a few rows instead of a million persons. The live computation in
# canpei.reports.targets stays the definition; tests compare the two after random writes.

class TargetStanding(models.Model):
    """Where one person stands in one plan's three targets over its whole period: named by a
    target (`named_N`) and, of those, covered (`covered_N`). Only persons named by at least one
    target have a row. Person and survey are plain references (no database constraint, nothing
    cascades): a row disappears only when a refresh finds the person no longer named, so the
    tallies are always corrected with it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    survey = models.ForeignKey("people.Survey", on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="target_standings")
    town = models.CharField(max_length=12)
    named_1 = models.BooleanField(default=False)
    named_2 = models.BooleanField(default=False)
    named_3 = models.BooleanField(default=False)
    covered_1 = models.BooleanField(default=False)
    covered_2 = models.BooleanField(default=False)
    covered_3 = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "person"],
                                               name="target_standing_once")]
        indexes = [models.Index(fields=["plan", "town", "person"], name="target_standing_town")] + [
            # Each target's uncovered persons of a town, in person order: the uncovered lists.
            models.Index(fields=["plan", "town", "person"],
                         condition=models.Q(**{f"named_{n}": True, f"covered_{n}": False}),
                         name=f"target_standing_open_{n}")
            for n in (1, 2, 3)]


class TargetTally(models.Model):
    """Per plan, town and target: the population and those of it covered (sums of the
    standings, kept in step with them by every refresh)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    town = models.CharField(max_length=12)
    target = models.PositiveSmallIntegerField()
    population = models.IntegerField(default=0)
    covered = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "town", "target"],
                                               name="target_tally_once")]


# ---- the registry's summary (canpei.reports.summaries.registry) ---------------------------------

class RegistryStanding(models.Model):
    """What the registry overview counts of one person, as last summarised: town, gender, month
    of birth, on the registry or not, and the years they were surveyed ("2025,2026")."""

    person = models.OneToOneField("people.Person", on_delete=models.DO_NOTHING,
                                  db_constraint=False, primary_key=True, related_name="+")
    town = models.CharField(max_length=12)
    gender = models.CharField(max_length=1)
    birth_month = models.DateField()
    active = models.BooleanField()
    years = models.CharField(max_length=200, blank=True)


class RegistryCell(models.Model):
    """Persons per town, gender, month of birth and status (`year` 0), and of them those
    surveyed in `year`: the registry overview sums these, and counts the two months of birth
    that straddle the working-age bounds from the persons themselves."""

    town = models.CharField(max_length=12)
    gender = models.CharField(max_length=1)
    birth_month = models.DateField()
    active = models.BooleanField()
    year = models.PositiveSmallIntegerField()
    # Cells come in two grains: by month of birth, and by year of birth (birth_month is then
    # 1 January), so that a sum over decades of births reads a few rows a town.
    whole_year = models.BooleanField(default=False)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["year", "town", "gender", "birth_month", "active", "whole_year"],
            name="registry_cell_once")]
        # Covering (town and n included): the overview's sums read the index alone, not a heap
        # page per few cells (a province's year 0 alone is some 6,000 cells on 900 pages).
        indexes = [models.Index(fields=["whole_year", "year", "active", "gender", "birth_month"],
                                include=["town", "n"], name="registry_cell_read")]


# ---- the indicators' summary (canpei.reports.summaries.indicators) --------------------------
# What /reports and the home pages read instead of aggregating every completion: the facts (one
# row per completion and per follow-up of one, as the live computation sees them) and the cells
# (their sums per scope, year and breakdown group), both kept in the writer's transaction.

class CompletionGroups(models.Model):
    """What a fact is counted under: its person, the completion's end and year, and the groups of
    the breakdowns. Ids are plain numbers, not foreign keys: a fact is a copy, replaced whenever
    its person is refreshed, and never holds a deletion up. Flags are 0/1 small integers, so that
    the rebuild sums them in SQL on both databases."""

    person_id = models.BigIntegerField(db_index=True)
    end_date = models.DateField(null=True)
    year = models.SmallIntegerField(null=True)
    town = models.CharField(max_length=12)
    institution_id = models.BigIntegerField(null=True)
    training_type = models.CharField(max_length=20)
    heritage = models.SmallIntegerField()
    high_skill = models.SmallIntegerField()

    class Meta:
        abstract = True


class CompletionFact(CompletionGroups):
    """One completion (a trainee-time) as the indicators count it: an enrolment or an
    application."""

    enrollment_id = models.BigIntegerField(null=True, unique=True)
    application_id = models.BigIntegerField(null=True, unique=True)
    certificate = models.SmallIntegerField()
    hardship = models.SmallIntegerField()
    appraised = models.SmallIntegerField()
    passed = models.SmallIntegerField()


class FollowUpFact(CompletionGroups):
    """One follow-up of a completion that counts, at a milestone of settings.FOLLOWUP_MONTHS, with
    the completion's groups (town: the follow-up's own copied town, as the live scope reads it)."""

    followup_id = models.BigIntegerField(unique=True)
    enrollment_id = models.BigIntegerField(null=True)
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField(db_index=True)
    recorded = models.SmallIntegerField()
    employed = models.SmallIntegerField()
    income = models.DecimalField(max_digits=9, decimal_places=2, null=True)


class SummaryGroup(models.Model):
    """What a cell sums: scope ("" the city, "t:<town>", "i:<institution>"), year (0 all years),
    breakdown (total, town, institution, type, year, plan, heritage, high_skill) and key."""

    scope = models.CharField(max_length=24)
    year = models.SmallIntegerField()
    breakdown = models.CharField(max_length=12)
    key = models.CharField(max_length=24)

    class Meta:
        abstract = True


def group_key(name: str, *more: str) -> models.UniqueConstraint:
    """A cell's key: one row per scope, year, breakdown and key (and `more`), the conflict
    target the summaries upsert on."""
    return models.UniqueConstraint(fields=["scope", "year", "breakdown", "key", *more], name=name)


class IndicatorCell(SummaryGroup):
    """The completion counts of one group. A row whose trainee_times fell to 0 stays, and is read
    as absent."""

    trained = models.IntegerField(db_default=0)
    trainee_times = models.IntegerField(db_default=0)
    free_hardship = models.IntegerField(db_default=0)
    certificates = models.IntegerField(db_default=0)
    appraised = models.IntegerField(db_default=0)
    passed = models.IntegerField(db_default=0)

    class Meta:
        constraints = [group_key("indicator_cell_group")]


class EmploymentCell(SummaryGroup):
    """The follow-ups of one group at one milestone due by IndicatorClock.as_of, and the median
    income of those employed (kept from IncomeCell whenever it changes)."""

    months = models.PositiveSmallIntegerField()
    due = models.IntegerField(db_default=0)
    recorded = models.IntegerField(db_default=0)
    employed = models.IntegerField(db_default=0)
    median_income = models.DecimalField(max_digits=12, decimal_places=2, null=True)

    class Meta:
        constraints = [group_key("employment_cell_group", "months")]


class IncomeCell(SummaryGroup):
    """The incomes of the employed of one group at one milestone, as a histogram (n per income):
    the median is read from it in income order."""

    months = models.PositiveSmallIntegerField()
    income = models.DecimalField(max_digits=9, decimal_places=2)
    n = models.IntegerField(db_default=0)

    class Meta:
        constraints = [group_key("income_cell_group", "months", "income")]


class IndicatorClock(models.Model):
    """The one row saying up to which day the follow-ups due are counted in the cells. No row: the
    summary was never built, and the indicators are computed live."""

    as_of = models.DateField()
    # The milestones (settings.FOLLOWUP_MONTHS, "3,6") the cells were built for: another
    # setting means the summary is stale, and reports are live until it is rebuilt.
    months = models.CharField(max_length=100, default="")


# ---- the matching summary (canpei.reports.summaries.matching) -----------------------------------
# The demand side of 供需匹配 (canpei.reports.matching): per person the wanted skills of each
# survey with the years it is their latest for, and per town the sums the page reads.

MATCH_OPEN_YEAR = 9999  # to_year of a person's latest survey: it stays their latest for good


class MatchNeed(models.Model):
    """One wanted skill of one survey that says its active person needs training, with the
    years `year` for which it is the person's latest survey up to `year` (from its own year to
    the year before their next survey). The person's old state for a refresh; plain references
    (no database constraint, nothing cascades)."""

    person = models.ForeignKey("people.Person", on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    survey = models.ForeignKey("people.Survey", on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    skill = models.ForeignKey("people.Skill", on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    town = models.CharField(max_length=12)
    types = models.TextField()  # the survey's wanted_types as the database writes the JSON
    mode = models.CharField(max_length=16, blank=True)
    from_year = models.PositiveSmallIntegerField()
    to_year = models.PositiveSmallIntegerField()


class MatchDemandCell(models.Model):
    """Per town, wanted skill, wanted types, mode and span of years: how many MatchNeed rows
    (kept equal to their count by every refresh; a cell fallen to 0 stays, read as absent)."""

    town = models.CharField(max_length=12)
    skill = models.ForeignKey("people.Skill", on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    types = models.TextField()
    mode = models.CharField(max_length=16, blank=True)
    from_year = models.PositiveSmallIntegerField()
    to_year = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["town", "from_year", "to_year", "skill", "types", "mode"],
            name="match_demand_cell_group")]


class MatchSummaryBuilt(models.Model):
    """The one row saying the matching summary was built. No row: a fresh database or most
    tests; refreshes do nothing and the matching page is computed live."""

    built_at = models.DateTimeField()
