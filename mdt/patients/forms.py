from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from mdt.forms import DateInputField, clean_text

_text = [clean_text]

class PatientForm(FlaskForm):
    nhs_number = StringField("NHS number", filters=_text, validators=[Length(max=20)],
                             description="10 digits, for example 943 476 5919")
    given_name = StringField("First name", filters=_text, validators=[
        DataRequired("Enter the patient's first name"), Length(max=100)])
    family_name = StringField("Last name", filters=_text, validators=[
        DataRequired("Enter the patient's last name"), Length(max=100)])
    date_of_birth = DateInputField("Date of birth", validators=[
        DataRequired("Enter the patient's date of birth")],
        description="For example, 15 3 1948")
    address = TextAreaField("Address", filters=_text, validators=[Length(max=500)])
    postcode = StringField("Postcode", filters=_text, validators=[Length(max=10)])
    gp_practice = StringField("GP practice", filters=_text, validators=[Length(max=120)])
    phone = TelField("Phone number", filters=_text, validators=[Length(max=40)])

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
                    validators=[Optional(), Length(max=100)])

