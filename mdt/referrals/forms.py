from datetime import date

from wtforms import HiddenField, RadioField, SelectField, TextAreaField

from mdt.forms import Form, clean_text, int_or_none
from mdt.meetings.models import URGENCIES

_text = [clean_text]


def date_or_none(value):
    """'' is "the next meeting"; a date, or junk (kept as text so the service refuses it)."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text[:20]


class ReferralForm(Form):
    patient_id = SelectField("Patient", coerce=int_or_none, validate_choice=False)
    question = TextAreaField("The question for the MDT", filters=_text,
                             description="What do you want the team to decide or advise on?")
    background = TextAreaField("Relevant background", filters=_text,
                               description="Diagnosis, recent changes, what matters to the "
                                           "patient")
    tried = TextAreaField("What has been tried", filters=_text)
    urgency = RadioField("Urgency", choices=list(URGENCIES.items()), default="routine",
                         validate_choice=False)
    presenter_id = SelectField("Who will present", coerce=int_or_none, validate_choice=False)
    preferred_date = SelectField("Preferred meeting", coerce=date_or_none,
                                 validate_choice=False)
    version = HiddenField()


class AcceptForm(Form):
    meeting = SelectField("Meeting", validate_choice=False)
    message = TextAreaField("Message to the referrer (optional)", filters=_text)
    version = HiddenField()


class MoreInfoForm(Form):
    message = TextAreaField("What more information do you need?", filters=_text)
    version = HiddenField()


class DeclineForm(Form):
    reason = TextAreaField("Reason for declining", filters=_text,
                           description="The referrer sees this")
    version = HiddenField()


class WithdrawForm(Form):
    version = HiddenField()
