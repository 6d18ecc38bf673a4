"""Forms of the class pages. They only shape the page and keep what was typed: every rule is
checked by the training services, whose field errors the views put back beside the fields."""

from __future__ import annotations

from typing import Any, cast
from collections.abc import Iterable

from django import forms
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy as _

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.codes import TrainingLevel, TrainingMode, TrainingType
from canpei.forms import step_form_setup
from canpei.institutions.models import Institution
from canpei.institutions.selectors import teacher_list
from canpei.people.models import Skill
from canpei.people.rules import id_number_error, normalize_id_number
from canpei.training import rules
from canpei.training.models import AppraisalResult, CertificateType, Enrollment, TrainingClass
from canpei.training.classes.services.records import FILING_EDITABLE_STATES


def _blank(choices: Iterable[tuple[Any, Any]], label: str = "—") -> list[tuple[Any, Any]]:
    return [("", label)] + list(choices)


def _date_input() -> forms.DateInput:
    # A text field under the hood: the service parses the date and names a bad one.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_input(mode: str = "numeric") -> forms.TextInput:
    # Not type="number": the browser would silently drop "12a" instead of letting the service
    # say what is wrong with it.
    return forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"})


def _mark_required(form: forms.Form, names: Iterable[str]) -> set[str]:
    kept = {name for name in names if name in form.fields}
    for name in kept:
        form.fields[name].widget.attrs["aria-required"] = "true"
    return kept


class ClassForm(forms.Form):
    """The class application form (开班申请表) an institution fills in, or the city for it."""

    name = forms.CharField(label=_("班级名称"))
    institution = forms.ChoiceField(label=_("培训机构"))
    training_type = forms.ChoiceField(label=_("培训类型"), choices=_blank(TrainingType.choices))
    mode = forms.ChoiceField(label=_("培训方式"), choices=_blank(TrainingMode.choices))
    occupation = forms.CharField(label=_("职业（工种）/技能"),
                                 help_text=_("如：电子商务师、保健按摩师"))
    skill = forms.ChoiceField(label=_("技能目录"), help_text=_("对应需求调查的技能，用于供需匹配"))
    industry = forms.CharField(label=_("所属行业"))
    level = forms.ChoiceField(label=_("培训等级"), choices=_blank(TrainingLevel.choices))
    appraisal = forms.BooleanField(label=_("参加职业技能鉴定"))
    filing_number = forms.CharField(label=_("开班备案号"),
                                    help_text=_("参加技能鉴定的班级须在开班前填写"))
    start_date = forms.CharField(label=_("开班日期"), widget=_date_input())
    end_date = forms.CharField(label=_("结业日期"), widget=_date_input())
    hours = forms.CharField(label=_("培训课时"), widget=_number_input())
    capacity = forms.CharField(label=_("计划人数"), widget=_number_input())
    venue = forms.CharField(label=_("培训地点"))
    teachers = forms.MultipleChoiceField(label=_("授课教师"), widget=forms.CheckboxSelectMultiple)
    subsidy_standard = forms.CharField(label=_("补贴标准（元/人）"), widget=_number_input("decimal"))
    free_for_hardship = forms.BooleanField(label=_("困难残疾人免费"))
    folk_craft = forms.BooleanField(label=_("民间工艺/闽南传统文化"))
    high_skill = forms.BooleanField(label=_("高技能人才"))
    young_adult_focus = forms.BooleanField(label=_("青壮年"))

    def __init__(self, *args: Any, user: User, training_class: TrainingClass | None = None,
                 institutions: Iterable[Institution] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        own_institution = user.role == Role.INSTITUTION_STAFF
        if own_institution:
            # An institution opens classes only of its own (the service fills it in).
            del self.fields["institution"]
        if "institution" in self.fields:
            cast(forms.ChoiceField, self.fields["institution"]).choices = _blank(
                (str(i.pk), i.name) for i in institutions)
        cast(forms.ChoiceField, self.fields["skill"]).choices = _blank(
            (s.code, s.name) for s in Skill.objects.filter(
                Q(active=True) | Q(pk=getattr(training_class, "skill_id", None))))

        # Teachers are chosen among the class's institution's: known when editing, or when the
        # user is an institution's staff. The city picks them after saving the new class.
        institution = (training_class.institution if training_class is not None
                       else user.institution if own_institution else None)
        if institution is None:
            del self.fields["teachers"]
        else:
            assigned = (set(training_class.teachers.values_list("pk", flat=True))
                        if training_class is not None else set())
            teachers = [t for t in teacher_list(user=user, institution=institution)
                        if t.active or t.pk in assigned]
            cast(forms.MultipleChoiceField, self.fields["teachers"]).choices = [
                (str(t.pk), f"{t.name}（{t.specialty}）" if t.specialty else t.name)
                for t in teachers]
            if not teachers:
                self.fields["teachers"].help_text = _("本机构尚未登记在岗教师")

        if training_class is not None and training_class.state not in rules.EDITABLE_STATES:
            # Once submitted, only the filing number (and the appraisal it belongs to) may still
            # change, until the class runs (services.classes.FILING_EDITABLE_STATES).
            for name in list(self.fields):
                if name not in ("appraisal", "filing_number"):
                    del self.fields[name]
        self.required_names = _mark_required(self, (
            "name", "institution", "training_type", "mode", "occupation", "level", "start_date",
            "end_date", "hours", "capacity"))

    @staticmethod
    def editable(training_class: TrainingClass) -> bool:
        return training_class.state in FILING_EDITABLE_STATES

    def service_data(self, only: Iterable[str] | None = None) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if only is not None:
            wanted = set(only)
            data = {key: value for key, value in data.items() if key in wanted}
        return data


def class_initial(training_class: TrainingClass) -> dict[str, Any]:
    return {
        "name": training_class.name, "institution": str(training_class.institution_id),
        "training_type": training_class.training_type, "mode": training_class.mode,
        "occupation": training_class.occupation,
        "skill": training_class.skill.code if training_class.skill else "",
        "industry": training_class.industry, "level": training_class.level,
        "appraisal": training_class.appraisal, "filing_number": training_class.filing_number,
        "start_date": training_class.start_date.isoformat(),
        "end_date": training_class.end_date.isoformat(),
        "hours": str(training_class.hours), "capacity": str(training_class.capacity),
        "venue": training_class.venue,
        "teachers": [str(pk) for pk in training_class.teachers.values_list("pk", flat=True)],
        "subsidy_standard": str(training_class.subsidy_standard),
        "free_for_hardship": training_class.free_for_hardship,
        "folk_craft": training_class.folk_craft, "high_skill": training_class.high_skill,
        "young_adult_focus": training_class.young_adult_focus,
    }


# The steps whose comment is the late-filing reason once the start date has passed.
LATE_FILING_ACTIONS = frozenset({rules.ClassAction.SUBMIT, rules.ClassAction.APPROVE})


class ClassTransitionForm(forms.Form):
    """One lifecycle step; prefixed by its action so each button's form has its own ids."""

    comment = forms.CharField(label=_("说明"), required=False, strip=True)

    def __init__(self, *args: Any, action: str, late: bool = False, **kwargs: Any):
        kwargs["prefix"] = action
        super().__init__(*args, **kwargs)
        self.action = action
        self.label = gettext(rules.ClassAction(action).label)
        step = rules.CLASS_TRANSITIONS[action]
        message = rules.CLASS_WORKFLOW.comment_required_message.format(action=self.label)
        step_form_setup(self, label=self.label, comment_required=step.comment_required,
                        confirm=step.confirm, comment_message=message)
        if late and action in LATE_FILING_ACTIONS:
            # The start date has passed: the comment is the late-filing reason (issue 12).
            self.fields["comment"].help_text = _("开班日期已过，请填写补报原因")
        self.required_names = (_mark_required(self, ["comment"]) if step.comment_required
                               else set())


class EnrollForm(forms.Form):
    """Enrol a trainee by the full ID number, as an institution does with the person in front
    of it; the service finds the person and checks the rules of the class at once."""

    person = forms.CharField(label=_("学员身份证号"), required=False,
                             help_text=_("完整的 18 位身份证号"),
                             widget=forms.TextInput(attrs={"autocomplete": "off",
                                                           "spellcheck": "false"}))

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", "enroll")
        super().__init__(*args, **kwargs)
        self.required_names = _mark_required(self, ["person"])

    def clean_person(self) -> str:
        # enrollment_add also takes a person id (a short number); the form is for ID numbers
        # only, so a short number is an incomplete ID number, never someone's record id.
        raw = normalize_id_number(self.cleaned_data.get("person", ""))
        if not raw or raw.isdigit() and len(raw) < 15:
            raise forms.ValidationError(id_number_error(raw) or rules.PERSON_NOT_FOUND)
        return raw


class WithdrawForm(forms.Form):
    withdraw_reason = forms.CharField(label=_("退学原因"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", "withdraw")
        super().__init__(*args, **kwargs)
        self.required_names = _mark_required(self, ["withdraw_reason"])


class EnrollmentForm(forms.Form):
    """What may be recorded of one trainee now: reported hours and the result while the class
    runs, appraisal and certificate once completion is declared (the fields not yet, or no longer,
    open are left out)."""

    attended_hours = forms.CharField(label=_("出勤学时"), widget=_number_input("decimal"),
                                     help_text=_("本班未使用考勤登记时，填写出勤学时合计"))
    result = forms.CharField(label=_("培训成绩"), help_text=_("如：合格、优秀、85 分"))
    appraisal_result = forms.ChoiceField(label=_("鉴定结果"), choices=_blank(AppraisalResult.choices))
    certificate_type = forms.ChoiceField(label=_("证书类型"), choices=_blank(CertificateType.choices))
    certificate_level = forms.ChoiceField(label=_("证书等级"), choices=_blank(TrainingLevel.choices))
    certificate_number = forms.CharField(label=_("证书编号"))
    certificate_date = forms.CharField(label=_("发证日期"), widget=_date_input())
    certificate_issuer = forms.CharField(label=_("发证机构"))

    def __init__(self, *args: Any, enrollment: Enrollment, has_register: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        state = enrollment.training_class.state
        keep: set[str] = set()
        if enrollment.status != "withdrawn":
            if state in rules.ATTENDANCE_STATES and not has_register:
                keep.add("attended_hours")
            if state in rules.ATTENDANCE_STATES | {"completed"}:
                keep.add("result")
            if state in rules.CERTIFICATE_STATES and enrollment.status == "completed":
                keep |= {"appraisal_result", "certificate_type", "certificate_level",
                         "certificate_number", "certificate_date", "certificate_issuer"}
        for name in list(self.fields):
            self.fields[name].required = False
            if name not in keep:
                del self.fields[name]
        self.required_names: set[str] = set()


def enrollment_initial(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "attended_hours": str(enrollment.attended_hours), "result": enrollment.result,
        "appraisal_result": enrollment.appraisal_result,
        "certificate_type": enrollment.certificate_type,
        "certificate_level": enrollment.certificate_level,
        "certificate_number": enrollment.certificate_number,
        "certificate_date": (enrollment.certificate_date.isoformat()
                             if enrollment.certificate_date else ""),
        "certificate_issuer": enrollment.certificate_issuer,
    }


class SessionForm(forms.Form):
    """One session of the register: its date, hours and topic, and one input per trainee."""

    date = forms.CharField(label=_("日期"), required=False, widget=_date_input())
    hours = forms.CharField(label=_("本次课时"), required=False, widget=_number_input("decimal"),
                            help_text=_("改动后，仍为原课时的学员一并更新"))
    topic = forms.CharField(label=_("内容"), required=False,
                            help_text=_("同一日期、同一内容再次登记即为更正"))

    def __init__(self, *args: Any, trainees: Iterable[Enrollment], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.trainees = list(trainees)
        for enrollment in self.trainees:
            self.fields[self.trainee_field(enrollment.pk)] = forms.CharField(
                label=enrollment.person.name, required=False, widget=_number_input("decimal"))
        self.required_names = _mark_required(self, ["date", "hours"])

    @staticmethod
    def trainee_field(enrollment_id: int) -> str:
        return f"att_{enrollment_id}"

    def attendance(self) -> dict[int, str]:
        return {e.pk: self.cleaned_data.get(self.trainee_field(e.pk), "") for e in self.trainees}


class InspectionForm(forms.Form):
    date = forms.CharField(label=_("检查日期"), required=False, widget=_date_input())
    inspector_name = forms.CharField(label=_("检查人"), required=False)
    present = forms.CharField(label=_("实到人数"), required=False, widget=_number_input())
    findings = forms.CharField(label=_("检查情况"), required=False,
                               widget=forms.Textarea(attrs={"rows": 4}))
    rectification_required = forms.BooleanField(label=_("需要整改"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.required_names = _mark_required(self, ["date", "inspector_name", "present"])


class RectifyForm(forms.Form):
    rectified_on = forms.CharField(label=_("整改完成日期"), required=False, widget=_date_input())
    rectification_note = forms.CharField(label=_("整改情况"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, inspection_id: int, **kwargs: Any):
        kwargs["prefix"] = f"rectify{inspection_id}"
        super().__init__(*args, **kwargs)
        self.inspection_id = inspection_id
        self.required_names = _mark_required(self, ["rectified_on"])
