from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Optional

from mdt.forms import DateInputField, MaxLength, clean_text

_text = [clean_text]

class PatientForm(FlaskForm):
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

class SearchForm(FlaskForm):
    q = StringField("Search by name or NHS number", filters=_text,
                    validators=[Optional(), MaxLength(100)])

