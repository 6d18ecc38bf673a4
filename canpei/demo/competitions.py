"""Demo competitions and typical cases: a city competition and a Quanzhou one, both held in the
past months, with entries from the two demo towns (entered by their town staff) and results and
awards recorded by the city; an upcoming provincial competition with entries but no results; and
typical cases: one published with the person's written consent, one whose consent was withdrawn
(and is therefore unpublished), one about no one. All through the services, so the rules and
audit entries are the real ones."""

from __future__ import annotations

import datetime as dt

from canpei.accounts.models import User
from canpei.competitions import services
from canpei.competitions.models import Competition, TypicalCase
from canpei.people.models import Person
from canpei.people.rules import PersonStatus

# (name, level, days from today to the start, days it lasts, organizer, events)
COMPETITIONS = [
    ("晋江市第三届残疾人职业技能竞赛", "city", -120, 2, "晋江市残疾人联合会",
     ["电子商务", "盲人保健按摩", "手工编织"]),
    ("泉州市第七届残疾人职业技能竞赛", "prefecture", -60, 3, "泉州市残疾人联合会",
     ["电子商务", "盲人医疗按摩"]),
    ("福建省第八届残疾人职业技能竞赛", "province", 30, 3, "福建省残疾人联合会",
     ["电子商务", "盲人保健按摩"]),
]
# The results of the entries of a held competition, in turn: (result, award).
RESULTS = [("92.5 分", "first"), ("88 分", "second"), ("85 分", "third"), ("80 分", "excellence"),
           ("72 分", ""), ("69 分", "")]


def _persons(town: str, count: int) -> list[int]:
    return list(Person.objects.filter(status=PersonStatus.ACTIVE, town_id=town)
                .order_by("id").values_list("pk", flat=True)[:count])


def demo_competitions(*, today: dt.date) -> dict[str, int]:
    """Add the demo competitions and cases once (a second run adds nothing)."""
    if Competition.objects.exists() or TypicalCase.objects.exists():
        return {"competitions": 0, "cases": 0}
    users = {u.username: u for u in User.objects.filter(username__in=["city", "anhai", "cizao"])}
    city = users.get("city")
    if city is None:
        return {"competitions": 0, "cases": 0}
    clerks = [u for name, u in users.items() if name != "city"]
    made = 0
    first_award = None
    for index, (name, level, start, days, organizer, events) in enumerate(COMPETITIONS):
        begin = today + dt.timedelta(days=start)
        competition = services.competition_create(actor=city, data={
            "name": name, "level": level, "start_date": begin.isoformat(),
            "end_date": (begin + dt.timedelta(days=days - 1)).isoformat(),
            "organizer": organizer, "events": events})
        made += 1
        turn = 0
        for clerk in clerks:
            pool = _persons(clerk.town_id or "", 6)[index * 2:index * 2 + 3]
            for k, person_id in enumerate(pool):
                event = list(competition.events.all())[k % len(events)]
                entry = services.entry_create(actor=clerk, competition=competition,
                                              data={"event": event.pk, "person": person_id})
                if start < 0:
                    result, award = RESULTS[turn % len(RESULTS)]
                    services.entry_record_result(actor=city, entry=entry,
                                                 data={"result": result, "award": award})
                    if award == "first" and first_award is None:
                        first_award = entry
                turn += 1
    cases = 0
    if first_award is not None:
        person = first_award.person
        case = services.case_create(actor=city, data={
            "title": f"{person.name}：从电商培训到技能大赛一等奖",
            "text": (f"{person.name}参加电子商务培训后开设网店，并在"
                     f"{first_award.event.competition.name}中获得一等奖。现带动多名残疾人居家就业。"),
            "person": person.pk, "channel": "wechat"})
        consent_day = today - dt.timedelta(days=40)
        services.case_record_consent(actor=city, case=case, data={
            "date": consent_day.isoformat(), "method": "written",
            "scope": "晋江残联微信公众号和年度宣传册，可用真实姓名和照片"})
        services.case_publish(actor=city, case=case,
                              data={"date": (consent_day + dt.timedelta(days=5)).isoformat()})
        cases += 1
    others = _persons("350582102000", 12)[-2:]
    if others:
        case = services.case_create(actor=city, data={
            "title": "盲人按摩师的自强之路", "text": "经过保健按摩培训取得职业资格，在社区开设按摩店。",
            "person": others[0], "channel": "newspaper"})
        services.case_record_consent(actor=city, case=case, data={
            "date": (today - dt.timedelta(days=90)).isoformat(), "method": "recording",
            "scope": "晋江经济报，使用化名"})
        services.case_publish(actor=city, case=case,
                              data={"date": (today - dt.timedelta(days=80)).isoformat()})
        services.case_withdraw_consent(actor=city, case=case, data={
            "date": (today - dt.timedelta(days=10)).isoformat()})
        cases += 1
    services.case_create(actor=city, data={
        "title": "社区工厂带动残疾人居家就业", "text": "安海镇社区工厂为残疾人提供手工编织岗位。",
        "channel": "website"})
    cases += 1
    return {"competitions": made, "cases": cases}
