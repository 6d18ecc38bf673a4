"""The busiest list pages' rows and filter options, rendered in one pass each (and the draft
class page's fifty candidates, a list of the same kind).

A list page of 50 rows spent about half of its CPU in the template's row loop and option loops:
a dozen variable lookups, a URL and five code labels a row, each through the template engine's
generic resolution (the town's person list at 1,000,000 persons: 21.8 ms of CPU, 11.4 ms
without them). Here each row is one format_html call with the code labels looked up once a
page: the markup is the one the template wrote row by row, escaped the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from canpei.people.models import Person, Survey
from canpei.regions.models import Region
from canpei.training.models import TrainingClass

register = template.Library()


def code_labels(model: Any, name: str) -> dict[Any, str]:
    """A coded field's labels in the reader's language, translated once a page (a row's
    get_FOO_display translates its label again each cell)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


@register.simple_tag
def options(pairs: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """<option>s of (value, label) pairs, the one equal to `selected` selected."""
    return format_html_join("", '<option value="{}"{}>{}</option>',
                            ((value, " selected" if value == selected else "", label)
                             for value, label in pairs))


@register.simple_tag
def town_options(towns: Iterable[Region], selected: str) -> SafeString:
    """<option>s of towns (code, name), the one of code `selected` selected."""
    return options(((town.code, town.name) for town in towns), selected)


@register.simple_tag
def person_rows(persons: Iterable[Person]) -> SafeString:
    """The person list's rows: the name linking to the person's page, the masked ID number and
    the columns of the list's head."""
    gender, category, grade = (code_labels(Person, "gender"), code_labels(Person, "category"),
                               code_labels(Person, "grade"))
    form, status = code_labels(Person, "employment_form"), code_labels(Person, "status")
    not_working = _("未就业")
    rows = format_html_join("", (
        '\n    <tr>\n      <th scope="row"><a href="{}">{}</a></th>\n'
        '      <td class="mono">{}</td><td>{}</td><td class="num">{}</td>\n'
        '      <td>{}</td><td>{}</td><td>{}</td>\n'
        '      <td>{}</td><td>{}</td>\n    </tr>'), (
        (reverse("person-detail", args=[p.pk]), p.name, p.id_number_masked,
         gender.get(p.gender, p.gender), p.age, category.get(p.category, p.category),
         grade.get(p.grade, p.grade), p.town.name,
         form.get(p.employment_form, p.employment_form) or not_working,
         status.get(p.status, p.status))
        for p in persons))
    return rows or format_html('\n    <tr><td colspan="9">{}</td></tr>', _("没有符合条件的人员"))


@register.simple_tag
def class_rows(classes: Iterable[TrainingClass]) -> SafeString:
    """The class list's rows: the code linking to the class's page, the name, institution, type,
    dates, trainees against capacity and the state."""
    types, states = code_labels(TrainingClass, "training_type"), code_labels(TrainingClass, "state")
    rows = format_html_join("", (
        '\n    <tr>\n      <th scope="row" class="mono"><a href="{}">{}</a></th>\n'
        '      <td>{}</td><td>{}</td><td>{}</td>\n      <td>{} — {}</td>\n'
        '      <td class="num">{} / {}</td>\n'
        '      <td><span class="state state-{}">{}</span></td>\n    </tr>'), (
        (reverse("class-detail", args=[c.pk]), c.code, c.name, c.institution.name,
         types.get(c.training_type, c.training_type), date_filter(c.start_date, "Y-m-d"),
         date_filter(c.end_date, "Y-m-d"), getattr(c, "trainee_count", 0), c.capacity, c.state,
         states.get(c.state, c.state))
        for c in classes))
    return rows or format_html('\n    <tr><td colspan="7">{}</td></tr>', _("没有符合条件的培训班"))


@register.simple_tag(takes_context=True)
def candidate_rows(context: Any, candidates: Iterable[Survey], class_id: int | None = None) -> SafeString:
    """The draft class page's surveyed candidates (canpei.reports.matching.class_candidates),
    each with that latest survey: the name linking to the person's page, the town, the preferred
    mode and the accessibility needs; with `class_id` (the user may enrol), a button that puts
    the person on that class's roster. Fifty rows, each two URLs, two labels and a form, took a
    draft class page about 10 ms through the template's loop."""
    modes = code_labels(Survey, "preferred_mode")
    action = reverse("class-enroll-candidate", args=[class_id]) if class_id is not None else ""
    token, button = str(context.get("csrf_token", "")), _("加入花名册")
    # As {% csrf_token %} renders it: nothing where the context holds no token.
    token_input = (format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
                   if token and token != "NOTPROVIDED" else "")
    rows = []
    for s in candidates:
        person = s.person
        rows.append(format_html(
            '\n      <tr><th scope="row"><a href="{}">{}</a></th><td>{}</td>\n'
            "        <td>{}</td><td>{}</td>\n        ",
            reverse("person-detail", args=[person.pk]), person.name, person.town.name,
            modes.get(s.preferred_mode, s.preferred_mode) or "—",
            "、".join(s.accessibility_need_labels) or "—"))
        if action:
            rows.append(format_html(
                '<td><form method="post" action="{}">{}<input type="hidden" name="person" '
                'value="{}"><button type="submit" class="link-button">{}<span '
                'class="visually-hidden"> {}</span></button></form></td>',
                action, token_input, person.pk, button, person.name))
        rows.append(SafeString("</tr>"))
    return SafeString("".join(rows))
