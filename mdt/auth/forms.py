from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from mdt.forms import MaxLength


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address"), MaxLength(254)])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password"), MaxLength(200)])
