"""What the pages share: the permission gate, the list pages' filters and paging, and the form
pages' save-or-show-again step. Each view keeps only what is its own (template, selector,
service, the extra context), so a new list or form page is a few lines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, Protocol, TypeVar
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _, gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.errors import InvalidInput, NotFound, ServiceError
from canpei.forms import add_service_errors
from canpei.people.selectors import PersonFilters, person_list, town_choices
from canpei.regions.models import Region

PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
NUL_IN_TEXT = gettext_noop("不能包含空字符（U+0000）")
T = TypeVar("T")


def requires(perm: str) -> Callable[..., Any]:
    """Signed in and holding `perm`; anyone else gets a 404, as if the page did not exist."""
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_perm(request.user, perm):
                raise Http404()
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404() from None
        return wrapped
    return decorator


class CountedPaginator(Paginator):
    """A paginator given its exact count (counted a cheaper way than object_list.count())."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def without_nul(params: Any) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Query parameters minus those holding U+0000, with an error naming each one dropped.

    PostgreSQL cannot compare a text containing U+0000; such a value must never reach a query.
    (Forms refuse it by themselves: Django's CharField has ProhibitNullCharactersValidator.)
    """
    kept: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for key, value in params.items():
        if "\x00" in key or "\x00" in value:
            errors.append((key.replace("\x00", ""), _(NUL_IN_TEXT)))
        else:
            kept[key] = value
    return kept, errors


PICK_LIMIT = 20


def person_search(request: HttpRequest) -> dict[str, Any]:
    """A person picker's search (`q`: name, pinyin, initials or ID tail) of the registry as far
    as the user may browse it: the first PICK_LIMIT found, whether there are more, and the
    errors of the search. `found` is None before anything is asked."""
    params, errors = without_nul(request.GET)
    q = params.get("q", "").strip()
    found = None
    if q and not errors:
        try:
            filters = PersonFilters.from_params({"q": q})
        except InvalidInput as exc:
            errors += exc.errors
        else:
            found = list(person_list(user=signed_in_user(request), filters=filters)
                         [:PICK_LIMIT + 1])
    return {"q": q, "errors": errors, "found": found[:PICK_LIMIT] if found is not None else None,
            "more": found is not None and len(found) > PICK_LIMIT}


def parsed_or(errors: list[tuple[str, str]], parse: Callable[[], T], default: T) -> T:
    """A page's filter: `parse()`, or, when it refuses the value, `default`, with the refusal
    added to the filter errors the page shows (one bad filter does not blank the page)."""
    try:
        return parse()
    except InvalidInput as exc:
        errors += exc.errors
        return default


def page_size(request: HttpRequest) -> int:
    """The page size asked for, if it is one of PAGE_SIZES; the default otherwise."""
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


class Filters(Protocol):
    """A list's filters as the selectors define them: parsed from the query, or all empty."""

    def __init__(self) -> None: ...

    @classmethod
    def from_params(cls: type[F], params: Any) -> F: ...


F = TypeVar("F", bound=Filters)


def list_filters(request: HttpRequest, filters_class: type[F]
                 ) -> tuple[F, dict[str, str], list[tuple[str, str]]]:
    """The filters of a list page, the query parameters kept, and the errors to show.

    A refused filter does not refuse the page: its message shows above the list, which is then
    shown unfiltered, so a bookmarked or hand-edited address never ends in an error page.
    """
    params, errors = without_nul(request.GET)
    try:
        filters = filters_class.from_params(params)
    except InvalidInput as exc:
        errors += exc.errors
        filters = filters_class()
    return filters, params, errors


def list_context(request: HttpRequest, filters_class: type[F], records: Callable[[F], Any], *,
                 count: Callable[[F], int] | None = None) -> dict[str, Any]:
    """What every list page's template reads: the page of `records(filters)`, the filters and
    their errors, the query to keep across pages, and the page sizes. `count` gives the total
    where counting the queryset itself would cost more."""
    filters, params, errors = list_filters(request, filters_class)
    size = page_size(request)
    paginator = (Paginator(records(filters), size) if count is None
                 else CountedPaginator(records(filters), size, count=count(filters)))
    return {
        "page": paginator.get_page(request.GET.get("page")),
        "filters": filters, "filter_errors": errors,
        "query": urlencode({k: v for k, v in params.items() if k != "page" and v}),
        "page_sizes": PAGE_SIZES, "page_size": size,
    }


def town_options(user: User, *, hidden_for: Role) -> list[Region]:
    """The towns a list page offers to filter by; none for the `hidden_for` role, whose scope
    already fixes the town (town staff) or makes it moot (an institution's staff)."""
    return [] if user.role == hidden_for else list(town_choices())




def form_page(request: HttpRequest, form: Any, template: str, context: dict[str, Any], *,
              save: Callable[[], T], done: Callable[[T], HttpResponse]) -> HttpResponse:
    """A create or edit page: a valid POST calls `save` (one service call) and answers with
    `done(result)`; the service's refusals go onto the form, which shows again with a 422, as
    does an invalid form."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save()
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            return done(result)
    return render(request, template, {"form": form, **context},
                  status=422 if form.errors else 200)


R = TypeVar("R", bound=Model)


def create_page(request: HttpRequest, form: Any, template: str, context: dict[str, Any],
                create: Callable[[dict[str, Any]], R], message: Callable[[R], str],
                detail: str, key: str) -> HttpResponse:
    """A create page: a valid POST passes the form's service data to `create` (the record's
    create service); then `message(record)`, and on to the new record's page, named `detail`,
    whose URL takes the record's pk as `key`."""
    return form_page(request, form, template, context,
                     save=lambda: create(form.service_data()),
                     done=lambda record: saved(request, message(record), detail,
                                               **{key: record.pk}))


SAVED = gettext_lazy("已保存")


def edit_page(request: HttpRequest, form: Any, template: str, context: dict[str, Any],
              update: Callable[[dict[str, Any]], object], detail: str,
              **detail_kwargs: Any) -> HttpResponse:
    """An edit page: a valid POST passes the fields the user changed to `update` (the record's
    update service); then SAVED, and back to the record's page, named `detail`."""
    return form_page(request, form, template, context,
                     save=lambda: update(changed_service_data(form)),
                     done=lambda _record: saved(request, str(SAVED), detail, **detail_kwargs))


@dataclass
class Submission(Generic[T]):
    """What became of a posted form: saved (with the service's result), or not, and then the
    status of the page that shows the form again."""

    saved: bool
    status: int
    result: T | None = None


def submit(form: Any, save: Callable[[], T]) -> Submission[T]:
    """Validate a posted `form` and call `save` (one service call). An invalid form answers 422;
    a service's refusal goes onto the form and answers with the refusal's own status (a 409
    for a record changed meanwhile is not a 422)."""
    if not form.is_valid():
        return Submission(saved=False, status=422)
    try:
        result = save()
    except ServiceError as exc:
        add_service_errors(form, exc)
        return Submission(saved=False, status=exc.status)
    return Submission(saved=True, status=200, result=result)


def posted_action(request: HttpRequest, actions: Container[str]) -> str:
    """The lifecycle step a record page's step form posts. One the record's kind does not have
    answers 404, as an address that does not exist."""
    action = request.POST.get("action", "")
    if action not in actions:
        raise Http404()
    return action


M = TypeVar("M", bound=Model)


def on_record(perm: str, get: Callable[..., M], *, methods: Sequence[str] = ("POST",)
              ) -> Callable[[Callable[[HttpRequest, User, M], HttpResponse]],
                            Callable[..., HttpResponse]]:
    """A view of one record, behind `perm` (as `requires`) and answering only `methods`: it is
    called with the signed-in user and the record that `get`, the record's scoped selector,
    reads with the URL's key (out of scope: 404)."""
    def decorator(view: Callable[[HttpRequest, User, M], HttpResponse]
                  ) -> Callable[..., HttpResponse]:
        @requires(perm)
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapped(request: HttpRequest, **key: int) -> HttpResponse:
            user = signed_in_user(request)
            return view(request, user, get(user=user, **key))
        return wrapped
    return decorator


def step_view(perm: str, get: Callable[..., M], *, actions: Container[str],
              form_class: Callable[..., Any], apply: Callable[[M, str, Any, User], object],
              label: Callable[[str], str], render_detail: Callable[..., HttpResponse],
              detail: str) -> Callable[..., HttpResponse]:
    """The view of a lifecycle step posted from a record's page, behind `perm`: `get`, the
    record's scoped selector, reads the record with the URL's key, `apply(record, action, form,
    user)` calls the workflow's service. Saved: 「已…」 and back to the record's page (named
    `detail`, the same key); refused: the page again, read anew, with the posted form and its
    errors, answering the refusal's status."""
    @requires(perm)
    @require_POST
    def view(request: HttpRequest, **key: int) -> HttpResponse:
        user = signed_in_user(request)
        record = get(user=user, **key)
        action = posted_action(request, actions)
        form = form_class(request.POST, action=action)
        submission = submit(form, lambda: apply(record, action, form, user))
        if submission.saved:
            messages.success(request, _("已%(action)s") % {"action": label(action)})
            return redirect(detail, **{name: record.pk for name in key})
        return render_detail(request, get(user=user, **key), bound=form,
                             status=submission.status)
    return view


def edit_view(perm: str, get: Callable[..., M], template: str, *,
              form: Callable[[Any, M, User], Any], context: Callable[[M], dict[str, Any]],
              update: Callable[[User, M, dict[str, Any]], object],
              detail: str) -> Callable[..., HttpResponse]:
    """The view of a record's edit page (see edit_page), behind `perm`: `get`, the record's
    scoped selector, reads the record with the URL's key; `form(data, record, user)` builds
    the form, `context(record)` the template's own context, and `update(user, record,
    changed)` calls the record's update service; then back to the page named `detail`."""
    @requires(perm)
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, **key: int) -> HttpResponse:
        user = signed_in_user(request)
        record = get(user=user, **key)
        return edit_page(request, form(request.POST or None, record, user), template,
                         context(record), lambda data: update(user, record, data), detail,
                         **key)
    return view


class StepForm(Protocol):
    """A lifecycle step's form: it knows which step it posts."""

    @property
    def action(self) -> str: ...


SF = TypeVar("SF", bound=StepForm)


def step_forms(actions: Iterable[str], bound: SF | None, blank: Callable[[str], SF]) -> list[SF]:
    """The step forms a record's page shows: `blank(action)` for each step the user may take
    now, the form just posted (`bound`) in its step's place with its errors. A refused step no
    longer on offer (the record's state changed meanwhile) comes first, still showing why."""
    forms = [bound if bound is not None and bound.action == action else blank(action)
             for action in actions]
    if bound is not None and bound not in forms:
        forms.insert(0, bound)
    return forms


def changed_service_data(form: Any) -> dict[str, Any]:
    """The form's service data for the fields the user changed: an edit writes (and audits)
    only those. A disabled field is shown, never written."""
    return {k: v for k, v in form.service_data().items()
            if k in form.changed_data and not form.fields[k].disabled}


def saved(request: HttpRequest, message: str, to: str, **kwargs: Any) -> HttpResponse:
    """After a write: say so on the next page, and go to the page named `to`."""
    messages.success(request, message)
    return redirect(to, **kwargs)


FC = TypeVar("FC", bound=Filters, contravariant=True)


class ScopedRecords(Protocol[FC]):
    """A list selector: the records of the user's scope that pass the filters (or their count)."""

    def __call__(self, *, user: User, filters: FC) -> Any: ...


class Exportable(Protocol):
    """Filters that can be written back as the query of the list's export link."""

    def as_params(self) -> dict[str, str]: ...


def list_view(perm: str, template: str, filters_class: type[F], records: ScopedRecords[F], *,
              towns_hidden_for: Role, context: Mapping[str, Any] | None = None,
              perms: Mapping[str, str] | None = None,
              extra: Callable[[HttpRequest], dict[str, Any]] | None = None,
              count: ScopedRecords[F] | None = None,
              exported: bool = False) -> Callable[..., HttpResponse]:
    """The view of a list page (see list_page), behind `perm`. The view's own context: the
    fixed `context` (the choices its filters offer), for each name of `perms` whether the user
    holds that permission (`can_create`…), and what `extra(request)` reads for the request."""
    @requires(perm)
    def view(request: HttpRequest) -> HttpResponse:
        own = {**(context or {}),
               **{name: has_perm(request.user, held) for name, held in (perms or {}).items()},
               **(extra(request) if extra is not None else {})}
        return list_page(request, template, filters_class, records, own,
                         towns_hidden_for=towns_hidden_for, count=count, exported=exported)
    return view


def list_page(request: HttpRequest, template: str, filters_class: type[F],
              records: ScopedRecords[F], extra: dict[str, Any], *, towns_hidden_for: Role,
              count: ScopedRecords[F] | None = None, exported: bool = False) -> HttpResponse:
    """A list page: the page of `records` for the signed-in user (see list_context), the towns
    to filter by (none for `towns_hidden_for`, see town_options) and the view's own `extra`
    context. `exported` adds the filters as the export link's query (`export_query`);
    `can_export` is whether the user may download the ledgers at all."""
    user = signed_in_user(request)
    context = list_context(request, filters_class,
                           lambda filters: records(user=user, filters=filters),
                           count=None if count is None
                           else lambda filters: count(user=user, filters=filters))
    if exported:
        filters: Exportable = context["filters"]
        context["export_query"] = urlencode(filters.as_params())
    return render(request, template, {
        **context, "towns": town_options(user, hidden_for=towns_hidden_for),
        "can_export": has_perm(user, Perm.PERSON_EXPORT), **extra})


def record_view(perm: str, get: Callable[..., Model], template: str, name: str, *,
                edit_perm: str) -> Callable[..., HttpResponse]:
    """The view of a record's page that shows just the record and, to a user holding
    `edit_perm`, the way to its edit page (`can_edit`). `get` is the record's scoped selector,
    called with the user and the URL's key (out of scope: 404); the template reads the record
    as `name`. Behind `perm`, as `requires`."""
    @requires(perm)
    def view(request: HttpRequest, **key: int) -> HttpResponse:
        record = get(user=signed_in_user(request), **key)
        return render(request, template, {name: record,
                                          "can_edit": has_perm(request.user, edit_perm)})
    return view


RC = TypeVar("RC", bound=Model, covariant=True)


class Registers(Protocol[RC]):
    """A create service: the new record, written as `actor` from a form's service data."""

    def __call__(self, *, actor: User, data: dict[str, Any]) -> RC: ...


def register_page(request: HttpRequest, form_class: Callable[..., Any], template: str,
                  name: str, register: Registers[R], detail: str, key: str, *,
                  label: Callable[[R], str], initial: dict[str, Any] | None = None
                  ) -> HttpResponse:
    """A page registering a record of a kind whose form is built for the user and that needs
    nothing else (see create_page): `register` (the create service) as the signed-in user,
    then 已登记 with the new record's `label`. The form shows with `name` set to None, which
    the kind's form template reads as "a new record"."""
    user = signed_in_user(request)
    form = form_class(request.POST or None, user=user, initial=initial)
    return create_page(request, form, template, {name: None},
                       lambda data: register(actor=user, data=data),
                       lambda record: _("已登记：%(label)s") % {"label": label(record)}, detail, key)


@dataclass(frozen=True)
class LifecycleStep:
    label: str
    status: str  # "done", "current" or "todo"
    note: str = ""  # the detour the record stands on (已退回), at its current step


def lifecycle_steps(path: Sequence[str], labels: Mapping[str, str], state: str,
                    detours: Mapping[str, str]) -> list[LifecycleStep]:
    """A record's place on its lifecycle's usual path, for a step indicator. A state off the
    path stands at the step its detour names (a returned class at its application), with its
    own label as a note; one with no place (cancelled) leaves every step to do."""
    at = detours.get(state, state)
    position = path.index(at) if at in path else -1
    return [LifecycleStep(label=labels[step],
                          status="done" if i < position else "current" if i == position else "todo",
                          note=labels[state] if i == position and state != at else "")
            for i, step in enumerate(path)]
