
from wtforms import HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Optional

from mdt.forms import DateInputField, Form, MaxLength, clean_text, int_or_none
from mdt.patients.models import PATHWAY_STAGES

_text = [clean_text]

class PatientForm(Form):
    nhs_number = StringField("NHS number", filters=_text, validators=[MaxLength(20)],
                             description="10 digits, for example 943 476 5919")
    given_name = StringField("First name", filters=_text, validators=[
        DataRequired("Enter the patient's first name"), MaxLength(100)])
    family_name = StringField("Last name", filters=_text, validators=[
        DataRequired("Enter the patient's last name"), MaxLength(100)])
    date_of_birth = DateInputField("Date of birth",
        required_message="Enter the patient's date of birth",
        description="For example, 15 3 1948")
    address = TextAreaField("Address", filters=_text, validators=[MaxLength(500)])
    postcode = StringField("Postcode", filters=_text, validators=[MaxLength(10)])
    gp_practice = StringField("GP practice", filters=_text, validators=[MaxLength(120)])
    phone = TelField("Phone number", filters=_text, validators=[MaxLength(40)])

class NewPatientForm(PatientForm):
    team_id = SelectField("Team", coerce=int, validate_choice=False)

class EditPatientForm(PatientForm):
    version = HiddenField()

    def seen_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1

class SearchForm(Form):
    q = StringField("Search by name or NHS number", filters=_text,
                    validators=[Optional(), MaxLength(100)])



class KeyWorkerForm(Form):
    key_worker_id = SelectField("Key worker", coerce=int_or_none, validate_choice=False,
                                description="The named person the patient and family contact")
    reason = TextAreaField("Reason for the change", filters=_text,
                           validators=[DataRequired("Enter the reason for the change"),
                                       MaxLength(500)])
    seen_key_worker_id = HiddenField()


class StageForm(Form):
    stage = SelectField("Pathway stage", validate_choice=False,
                        choices=list(PATHWAY_STAGES.items()))
    changed_on = DateInputField("Date of the change", description="For example, 24 11 2026")
    version = HiddenField()


class HnaForm(Form):
    assessed_on = DateInputField("Date of the assessment", description="For example, 24 11 2026")
    assessed_by_id = SelectField("Carried out by", coerce=int_or_none, validate_choice=False)
    concerns = TextAreaField("Concerns raised", filters=_text, validators=[MaxLength(8000)],
                             description="One concern per line, in a few words each")


def section_form_class(section):
    """A form for one key information section, built from its definition."""
    fields = {"version": HiddenField()}
    for item in section.items:
        options = {"description": item.hint}
        if item.kind == "long":
            fields[item.name] = TextAreaField(item.label, filters=_text, **options)
        elif item.kind == "text":
            fields[item.name] = StringField(item.label, filters=_text, **options)
        elif item.kind == "choice":
            fields[item.name] = SelectField(item.label, validate_choice=False,
                                            choices=[("", "Not recorded"), *item.choices],
                                            **options)
        else:
            fields[item.name] = DateInputField(item.label, **options)
    return type(f"{section.name.title()}Form", (Form,), fields)
