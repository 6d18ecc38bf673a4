"""An alert's sentence as a message code and its parameters, rendered in the viewer's language.

A rule says what it found as a msgid (Chinese, marked with gettext_noop, `%(name)s`
placeholders) and its parameters, stored on the alert as JSON (`Alert.message`,
`Alert.params`). A parameter is either data, shown as it is whatever the language (names,
class codes and titles, dates, figures, a clerk's reason), or words of the product, translated
when shown:

- `phrase(msgid, **params)`: a part of the sentence that is itself a message (a reason, a focus
  group, a code table's label), stored as `{"msgid": …, "params": {…}}`;
- `joined(values, sep)`: values listed with a separator that is a msgid ("、"), stored as
  `{"join": […], "sep": …}`.

`render` gives the text in the active language; `chinese` under the source language (what the
alert's `summary` keeps, and what the ledgers print). A link's label may be a phrase too
(`link_label`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# The separators a sentence lists values with (msgids).
LIST_SEP = gettext_noop("、")
AND_SEP = gettext_noop("，且")


def phrase(msgid: str, **params: Any) -> dict[str, Any]:
    """A translated part of a sentence (or a whole sentence): its msgid and parameters."""
    return {"msgid": msgid, "params": params}


def joined(values: Iterable[Any], sep: str = LIST_SEP) -> dict[str, Any]:
    """Values listed with a separator translated when shown."""
    return {"join": list(values), "sep": sep}


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        if "msgid" in value:
            return render(str(value["msgid"]), value.get("params") or {})
        if "join" in value:
            return gettext(str(value.get("sep") or LIST_SEP)).join(
                _value(item) for item in value["join"])
    return str(value)


def render(msgid: str, params: Mapping[str, Any]) -> str:
    """The message in the active language, its parameters rendered in turn."""
    return gettext(msgid) % {key: _value(value) for key, value in params.items()}


def chinese(msgid: str, params: Mapping[str, Any]) -> str:
    """The message in the source language (Simplified Chinese). The job renders every finding
    under that language already (compute.recompute), which spares an override each."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return render(msgid, params)
    with translation.override(settings.LANGUAGE_CODE):
        return render(msgid, params)


def link_label(link: Mapping[str, Any]) -> str:
    """How the page and the API name a linked record: its phrase in the active language when it
    has one (a label made of the product's words), else its label (data: a name, a class)."""
    said = link.get("says")
    if isinstance(said, Mapping) and "msgid" in said:
        return _value(said)
    return str(link.get("label", ""))


def shown_links(links: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """An alert's links as shown: type, id and the label in the active language."""
    return [{"type": link.get("type"), "id": link.get("id"), "label": link_label(link)}
            for link in links]
