
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from mdt.auth.models import SKILLS
from mdt.forms import DateInputField, Form, MaxLength, clean_text, int_or_none
from mdt.visits.models import WINDOWS

_text = [clean_text]


class VisitForm(Form):
    patient_id = SelectField("Patient", coerce=int_or_none, validate_choice=False)
    professional_id = SelectField("Professional", coerce=int_or_none, validate_choice=False)
    day = DateInputField("Day of the visit", description="For example, 1 12 2026")
    window = SelectField("When", choices=list(WINDOWS.items()), validate_choice=False)
    at_time = StringField("Time (for a set time)", filters=_text,
                          description="24-hour clock, for example 10:30")
    minutes = IntegerField("Expected duration in minutes", default=30,
                           validators=[Optional()])
    task_type_ids = SelectMultipleField("Tasks", coerce=int, validate_choice=False)
    version = HiddenField()  # the version the user saw: a change made since is refused

    def seen_version(self) -> int | None:
        return int_or_none(self.version.data)


class CancelVisitForm(Form):
    reason = TextAreaField("Reason for cancelling", filters=_text)


class TaskTypeForm(Form):
    name = StringField("Task", filters=_text, validators=[MaxLength(80)])
    skill = SelectField("Skill needed", choices=list(SKILLS.items()), validate_choice=False)
    minutes = IntegerField("Usual minutes", default=30, validators=[Optional()])
