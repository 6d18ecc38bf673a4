"""The form scraper: what the web tests read out of a rendered page's forms.

Regular expressions over Django's own rendering are enough here: the pages are ours, and each
helper reads one shape the templates always produce (`name="…" value="…"`).
"""

from __future__ import annotations

import re
from typing import Any

# The CSRF token differs on every render; full ID numbers are what a "not found" page must not
# reveal, and the only other thing that differs between an out-of-scope and an absent number.
_VARYING = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|value="[0-9X]{18}"')


def forms_offered(page: str) -> list[str]:
    """The workflow steps a detail page offers: the `action` of each of its step forms."""
    return re.findall(r'name="action" value="([a-z_]+)"', page)


def post_form(page: str) -> str:
    """The inside of the page's post form (the one that opts out of the browser's validation)."""
    form = re.search(r'<form method="post"[^>]*novalidate>(.*?)</form>', page, re.S)
    assert form, page[:300]
    return form.group(1)


def form_data(page: str) -> dict[str, Any]:
    """What a browser would post back from the inputs and selects in `page`, untouched.

    The CSRF token is left out (the test client does not check it); a checked checkbox adds
    its value to a list under its name, an unchecked one adds nothing.
    """
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
        else:
            data[name.group(1)] = value.group(1) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = chosen.group(1) if chosen else ""
    return data


def without_csrf_and_id_numbers(page: str) -> str:
    """`page` with its CSRF token and full ID numbers cut out, to compare two renders of it."""
    return _VARYING.sub("", page)
