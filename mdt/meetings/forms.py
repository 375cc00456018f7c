import re
from datetime import time

from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)

from mdt.forms import DateInputField, Form, MaxLength, clean_text, int_or_none
from mdt.meetings.models import URGENCIES
from mdt.meetings.recurrence import ORDINALS, WEEKDAY_NAMES

_text = [clean_text]


_CLOCK = re.compile(r"\s*(\d{1,2})[:.]?(\d{2})\s*(BST|GMT)?\s*", re.I)


def parse_clock(text: str | None) -> time | None:
    """'12:30', '12.30', '1230' or '9:00' as a time (a 'BST' or 'GMT' after it is read by
    parse_fold); None when it is not a real time."""
    match = _CLOCK.fullmatch(text or "")
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def parse_fold(text: str | None) -> int | None:
    """Which of a time that happens twice (the clocks go back): BST the first (0), GMT the
    second (1); None when not said."""
    match = _CLOCK.fullmatch(text or "")
    zone = (match.group(3) or "").upper() if match else ""
    return {"BST": 0, "GMT": 1}.get(zone)


class MeetingForm(Form):
    title = StringField("Title", filters=_text, validators=[MaxLength(120)],
                        default="Neighbourhood MDT",
                        description="Goes into calendar invitations: no patient names")
    day = DateInputField("Date", description="For example, 8 12 2026")
    start = StringField("Start time", filters=_text, description="24-hour clock, e.g. 12:30")
    end = StringField("End time", filters=_text, description="24-hour clock, e.g. 14:00")
    location = StringField("Location", filters=_text, validators=[MaxLength(200)],
                           description="Goes into calendar invitations: no patient names or "
                                       "home addresses")
    video_url = URLField("Video link", filters=_text, validators=[MaxLength(500)],
                         description="For example a Microsoft Teams link")
    chair_id = SelectField("Chair", coerce=int_or_none, validate_choice=False)
    guest_emails = TextAreaField("External guests", filters=_text, validators=[MaxLength(5000)],
                                 description="Email addresses, one per line. Team members are "
                                             "invited already.")
    repeat = SelectField("Repeats", choices=[("none", "Does not repeat"),
                                             ("monthly", "Every month"),
                                             ("weekly", "Every week or every few weeks")],
                         validate_choice=False, default="none")
    nth = SelectField("Which week of the month", coerce=int_or_none, validate_choice=False,
                      choices=[(n, label.capitalize()) for n, label in ORDINALS.items()],
                      default=2)
    weekday = SelectField("Day of the week", coerce=int_or_none, validate_choice=False,
                          choices=list(enumerate(WEEKDAY_NAMES)), default=1)
    interval = SelectField("How often", coerce=int_or_none, validate_choice=False,
                           choices=[(1, "Every week"), (2, "Every 2 weeks"), (3, "Every 3 weeks"),
                                    (4, "Every 4 weeks")], default=1)


class EditMeetingForm(MeetingForm):
    version = HiddenField()


class CaseForm(Form):
    patient_id = SelectField("Patient", coerce=int_or_none, validate_choice=False)
    reason = TextAreaField("Reason for discussion", filters=_text,
                           description="The question for the team")
    urgency = SelectField("Urgency", choices=list(URGENCIES.items())[::-1],
                          validate_choice=False, default="routine")
    presenter_id = SelectField("Presenting", coerce=int_or_none, validate_choice=False)
    referred_by = StringField("Referred by", filters=_text)


class RemoveCaseForm(Form):
    removed_reason = TextAreaField("Reason for removing", filters=_text)


class CaseRecordForm(Form):
    """The whole case in one form (the action rows are ActionForms prefixed actions-N-)."""
    notes = TextAreaField("Discussion notes", filters=_text)
    outcome = TextAreaField("Outcome", filters=_text)
    decisions = TextAreaField("Decisions", filters=_text)
    version = HiddenField()
    key_worker_id = SelectField("Key worker", coerce=int_or_none, validate_choice=False,
                                description="The named person the patient and family contact")
    seen_key_worker_id = HiddenField()
    key_worker_reason = StringField("Reason, if you change the key worker", filters=_text,
                                    default="Agreed at the MDT meeting",
                                    validators=[MaxLength(500)])
    defer = BooleanField("Defer: discuss again at the next meeting")
    action_rows = HiddenField(default="1")


class WalkInForm(Form):
    name = StringField("Name", filters=_text)
    email = StringField("Email (optional)", filters=_text)
