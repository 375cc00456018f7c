
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from mdt.forms import Form, MaxLength


class SignInForm(Form):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address"), MaxLength(254)])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password"), MaxLength(200)])


class PasswordChangeForm(Form):
    current = PasswordField("Current password", validators=[
        DataRequired("Enter your current password"), MaxLength(200)])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password"),
                                                    MaxLength(200)],
                        description="At least 12 characters. Three random words work well.")
    confirm = PasswordField("Confirm the new password", validators=[
        DataRequired("Enter the new password again"), MaxLength(200)])
