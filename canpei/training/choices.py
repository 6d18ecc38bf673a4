"""Code tables of training, shared by surveys (what persons want) and classes (what is offered).

API codes are the stable slugs of INTERFACES.md; labels are the Chinese of the national system.
"""

from __future__ import annotations

from django.db import models


class TrainingType(models.TextChoices):
    EMPLOYMENT_SKILLS = "employment_skills", "就业技能培训"
    SKILL_UPGRADE = "skill_upgrade", "岗位技能提升培训"
    ENTREPRENEURSHIP = "entrepreneurship", "创业培训"
    RURAL_PRACTICAL = "rural_practical", "农村实用技术培训"


class TrainingMode(models.TextChoices):
    CENTRALIZED = "centralized", "集中办班"
    SELF_DIRECTED = "self_directed", "自主分散"
    REMOTE = "remote", "网络远程"


class TrainingLevel(models.TextChoices):
    SPECIAL = "special", "专项能力"
    JUNIOR = "junior", "初级"
    INTERMEDIATE = "intermediate", "中级"
    SENIOR = "senior", "高级"
    TECHNICIAN = "technician", "技师"


ACCESSIBILITY_NEEDS = {
    "sign_language": "手语翻译",
    "screen_reader": "读屏/盲文材料",
    "accessible_venue": "无障碍场地",
    "companion": "陪同",
}

# The skills dictionary as first loaded (PRODUCT.md); city staff add and retire entries.
DEFAULT_SKILLS = [
    ("blind_massage", "盲人保健按摩"),
    ("medical_massage", "医疗按摩"),
    ("ecommerce", "电子商务"),
    ("home_handicraft", "居家就业/手工"),
    ("folk_craft", "民间工艺/闽南传统文化技艺"),
    ("planting_breeding", "种植养殖"),
    ("computer", "计算机"),
    ("cooking", "烹饪/面点"),
    ("beauty_hairdressing", "美容美发"),
    ("sewing", "服装缝纫"),
]
