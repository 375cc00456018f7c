from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email

from mdt.forms import Form, MaxLength, clean_text


class InvitationForm(Form):
    email = EmailField("Their work email address", validators=[
        DataRequired("Enter their email address"), MaxLength(254),
        Email("Enter an email address in the correct format, like name@example.nhs.uk")],
        description="The address their organisation's sign-in (for example NHSmail) confirms.")
    name = StringField("Their name", filters=[clean_text], validators=[
        DataRequired("Enter their name"), MaxLength(120)])
    role = RadioField("Role in the team", choices=[("member", "Member"), ("chair", "Chair")],
                      default="member", validators=[DataRequired("Choose a role")])


class LinkForm(Form):
    provider = RadioField("Organisation account", validators=[
        DataRequired("Choose the organisation account to link")])
    password = PasswordField("Your password", validators=[
        DataRequired("Enter your password"), MaxLength(200)],
        description="To check it is you before linking.")
