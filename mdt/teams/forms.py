
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from mdt.forms import Form


def _minutes(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, description=description, validators=[
        InputRequired(f"Enter the {label.lower()}"),
        NumberRange(1, 120, f"Enter {label.lower()} from 1 to 120")])


class TeamSettingsForm(Form):
    review_interval_months = IntegerField(
        "Months between Holistic Needs Assessment reviews",
        description="The reports recommend a conversation every 6 to 12 months",
        validators=[InputRequired("Enter the number of months"),
                    NumberRange(1, 24, "Enter a number of months from 1 to 24")])
    minutes_urgent = _minutes("Minutes for an urgent case")
    minutes_soon = _minutes("Minutes for a soon case")
    minutes_routine = _minutes("Minutes for a routine case")
    case_limit = IntegerField(
        "Most cases on one list", description="Decisions suffer past about 20 cases",
        validators=[InputRequired("Enter the most cases on one list"),
                    NumberRange(1, 100, "Enter a number of cases from 1 to 100")])
    minutes_limit = IntegerField(
        "Most minutes of discussion in one meeting",
        description="Decisions suffer after about an hour",
        validators=[InputRequired("Enter the most minutes of discussion"),
                    NumberRange(10, 480, "Enter a number of minutes from 10 to 480")])
