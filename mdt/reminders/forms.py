
from wtforms import SelectMultipleField, widgets

from mdt.forms import Form
from mdt.reminders.kinds import TOPICS


class TeamRemindersForm(Form):
    topics = SelectMultipleField(
        "What the team is reminded about",
        description="Select all that apply. People can also stop any of these for "
                    "themselves with the link in each email.",
        choices=[(topic, label) for topic, (label, _) in TOPICS.items()],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput())


class ConfirmForm(Form):
    """A button and its CSRF token."""
