"""Loading a region tree from a CSV of national statistical division codes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from canpei.regions.models import Region

DEFAULT_CSV = Path(__file__).parent / "data" / "jinjiang_regions.csv"
CODE_PATTERN = re.compile(r"^[0-9]{12}$")
LEVELS = {choice.value for choice in Region.Level}


class RegionFileError(ValueError):
    pass


def parse_region_csv(text: str) -> list[dict[str, str]]:
    """Validate the whole file first: a region file is loaded completely or not at all."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or not {"code", "name", "level", "parent"} <= set(reader.fieldnames):
        raise RegionFileError(_("区划文件须有表头 code,name,level,parent"))
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for line_no, row in enumerate(reader, start=2):
        code = (row["code"] or "").strip()
        name = (row["name"] or "").strip()
        level = (row["level"] or "").strip()
        parent = (row["parent"] or "").strip()
        if not CODE_PATTERN.match(code):
            raise RegionFileError(_("第 %(line)s 行：区划代码须为 12 位数字") % {"line": line_no})
        if code in seen:
            raise RegionFileError(_("第 %(line)s 行：区划代码重复") % {"line": line_no})
        if not name:
            raise RegionFileError(_("第 %(line)s 行：名称不能为空") % {"line": line_no})
        if level not in LEVELS:
            raise RegionFileError(_("第 %(line)s 行：级别须为 city、town 或 village") % {"line": line_no})
        if parent and parent not in seen and not Region.objects.filter(code=parent).exists():
            raise RegionFileError(_("第 %(line)s 行：上级区划 %(parent)s 须在本行之前出现")
                                  % {"line": line_no, "parent": parent})
        seen.add(code)
        rows.append({"code": code, "name": name, "level": level, "parent": parent})
    if not rows:
        raise RegionFileError(_("区划文件没有数据行"))
    return rows


@transaction.atomic
def regions_load(*, text: str) -> int:
    rows = parse_region_csv(text)
    for row in rows:
        Region.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "level": row["level"], "parent_id": row["parent"] or None},
        )
    return len(rows)


def regions_load_default() -> int:
    return regions_load(text=DEFAULT_CSV.read_text(encoding="utf-8"))
