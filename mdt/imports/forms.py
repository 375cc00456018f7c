from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField

from mdt.forms import Form
from mdt.imports.parse import FIELDS


class UploadForm(Form):
    team_id = SelectField("Team", coerce=int, validate_choice=False)
    file = FileField("The practice's caseload search, saved as CSV",
                     description="From EMIS Web or SystmOne: a search of the palliative care "
                                 "register saved as CSV (UTF-8 or Windows-1252, commas or "
                                 "semicolons), up to 5,000 patients. Nothing is saved until "
                                 "you have checked the preview")


class ImportForm(Form):
    fingerprint = HiddenField()


def mapping_form_class(headers: list[str]):
    """One select per field, choosing among this file's column headings."""
    choices = [("", "Not in this file")] + [(h, h or "(untitled column)") for h in headers]
    fields = {name: SelectField(label, choices=choices, validate_choice=False)
              for name, label in FIELDS.items()}
    return type("MappingForm", (Form,), fields)
