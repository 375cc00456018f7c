
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField

from mdt.forms import DateInputField, Form, MaxLength, clean_text, int_or_none
from mdt.patients.lifecycle import DISCHARGE_REASONS, PLACE_LABELS, PLACES

_text = [clean_text]


class ChangeForm(Form):
    """One form for every transition: the page shows the fields its kind needs. Step one
    asks; step two (confirm=1) shows what will happen and carries the answers hidden."""
    happened_on = DateInputField("Date of death", description="For example, 24 11 2026")
    place = RadioField("Place of death", validate_choice=False,
                       choices=[(p, PLACE_LABELS[p]) for p in PLACES])
    reason = RadioField("Reason for discharge", validate_choice=False,
                        choices=list(DISCHARGE_REASONS.items()))
    to_team_id = SelectField("Team taking over", coerce=int_or_none, validate_choice=False)
    notes = TextAreaField("Notes (optional)", filters=_text, validators=[MaxLength(1000)])
    keep_action_ids = SelectMultipleField("Keep these actions open", coerce=int,
                                          validate_choice=False)
    bereavement = SelectMultipleField("Bereavement follow-up", validate_choice=False,
                                      choices=[("yes", "Add it")])
    version = HiddenField()
    step = HiddenField()
