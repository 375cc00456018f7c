
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField

from mdt.actions.models import PRIORITIES
from mdt.forms import DateInputField, Form, clean_text, int_or_none

_text = [clean_text]


class ActionForm(Form):
    description = TextAreaField("What needs doing", filters=_text,
                                description="One task, in a sentence")
    owner_id = SelectField("Owner", coerce=int_or_none, validate_choice=False,
                           description="One person who will make sure it happens")
    due_on = DateInputField("Due date", description="For example, 1 12 2026")
    priority = SelectField("Priority", choices=list(PRIORITIES.items()), default="normal",
                           validate_choice=False)


class NoteForm(Form):
    note = TextAreaField("Progress note", filters=_text)


class ReassignForm(Form):
    owner_id = SelectField("New owner", coerce=int_or_none, validate_choice=False)
    version = HiddenField()


class DueForm(Form):
    due_on = DateInputField("New due date")
    version = HiddenField()


class CancelForm(Form):
    reason = TextAreaField("Reason for cancelling", filters=_text)


class BulkCancelForm(Form):
    action_ids = SelectMultipleField("Actions to cancel", coerce=int, validate_choice=False)
    reason = TextAreaField("Reason for cancelling", filters=_text)
