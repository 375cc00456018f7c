from mdt.forms import DateInputField, Form


class GivenForm(Form):
    given_on = DateInputField("Date the plan was given to the patient",
                              required_message="Enter the date the plan was given",
                              description="For example, 24 11 2026")
