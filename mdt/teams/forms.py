from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange


class TeamSettingsForm(FlaskForm):
    review_interval_months = IntegerField(
        "Months between Holistic Needs Assessment reviews",
        description="The reports recommend a conversation every 6 to 12 months",
        validators=[InputRequired("Enter the number of months"),
                    NumberRange(1, 24, "Enter a number of months from 1 to 24")])
