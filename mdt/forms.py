"""The bridge from WTForms to the NHS.UK frontend macros: a field renders its own macro,
error message included, so no page hand-copies component markup."""

from datetime import date

from flask import current_app
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field
from wtforms.fields import (
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import StopValidation

from mdt.field_html import fast_html

_MACROS = {  # field kind -> (component folder, macro name)
    "input": ("input", "input"),
    "textarea": ("textarea", "textarea"),
    "select": ("select", "select"),
    "radios": ("radios", "radios"),
    "checkboxes": ("checkboxes", "checkboxes"),
    "date": ("date-input", "dateInput"),
}


class DateInputField(Field):
    """Day, month and year boxes (the NHS.UK date input); errors in plain words."""

    def __init__(self, label=None, validators=None, required_message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required_message = required_message
        self.parts = {"day": "", "month": "", "year": ""}

    def pre_validate(self, form):
        # (DataRequired would wipe the specific message about which part is wrong.)
        if self.process_errors:
            raise StopValidation()
        if self.data is None and self.required_message:
            raise StopValidation(self.required_message)

    def process_formdata(self, valuelist):
        pass  # the three parts come under their own names: see process()

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if isinstance(self.data, date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month),
                          "year": str(self.data.year)}
        if formdata is not None and any(f"{self.name}[{p}]" in formdata for p in self.parts):
            self.parts = {p: (formdata.get(f"{self.name}[{p}]") or "").strip()[:8]
                          for p in self.parts}
            self.data = None
            self._parse()

    def _parse(self):
        day, month, year = (self.parts[p] for p in ("day", "month", "year"))
        if not (day or month or year):
            return
        missing = [p for p in ("day", "month", "year") if not self.parts[p]]
        if missing:
            raise_error = f"{self.label.text} must include a {missing[0]}"
            self.process_errors.append(raise_error)
            return
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            self.process_errors.append(f"{self.label.text} must be a real date, "
                                       "with a 4-digit year")
            return
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            self.process_errors.append(f"{self.label.text} must be a real date")


def _kind(field) -> str:
    if isinstance(field, DateInputField):
        return "date"
    if isinstance(field, TextAreaField):
        return "textarea"
    if isinstance(field, SelectMultipleField):
        return "checkboxes"
    if isinstance(field, RadioField):
        return "radios"
    if isinstance(field, SelectField):
        return "select"
    return "input"


def field_params(field, **params) -> dict:
    """Macro parameters for a WTForms field; keyword arguments override or add."""
    kind = _kind(field)
    out = {"id": field.id, "name": field.name}
    if field.description:
        out["hint"] = {"text": field.description}
    if field.errors:
        out["errorMessage"] = {"text": field.errors[0]}
    label = {"text": field.label.text}
    if kind in ("input", "textarea", "select"):
        out["label"] = label
    else:
        out["fieldset"] = {"legend": {"text": field.label.text}}
    if kind == "input":
        out["value"] = field._value()
        if isinstance(field, PasswordField):
            out["type"] = "password"
            out["value"] = ""
        elif isinstance(field, EmailField):
            out.update(type="email", spellcheck=False, autocomplete="email")
        elif isinstance(field, TelField):
            out.update(type="tel", autocomplete="tel")
    elif kind == "textarea":
        out["value"] = field._value()
    elif kind in ("select", "radios"):
        if kind == "radios":  # the first radio takes the field's id (error summary links
            out["idPrefix"] = out.pop("id")  # to it); the group had the same id: a duplicate
        out["items"] = [{"value": value, "text": text, "selected": selected, "checked": selected}
                        for value, text, selected, _ in field.iter_choices()]
    elif kind == "checkboxes":
        out["idPrefix"] = field.id
        out["items"] = [{"value": value, "text": text, "checked": selected}
                        for value, text, selected, _ in field.iter_choices()]
    elif kind == "date":
        out["namePrefix"] = field.name
        out["items"] = [
            {"name": part, "label": part.capitalize(), "value": field.parts[part],
             "inputmode": "numeric", "width": 4 if part == "year" else 2}
            for part in ("day", "month", "year")]
    out.update(params)
    return out


def render_field(field, **params) -> Markup:
    kind = _kind(field)
    values = field_params(field, **params)
    fast = fast_html(kind, values)  # the same markup as the macro, without its cost
    if fast is not None:
        return fast
    return macro_field(kind, values)


def macro_field(kind: str, values: dict) -> Markup:
    folder, name = _MACROS[kind]
    # The macro modules are built once per app: building one per field cost more than the
    # rest of a form page.
    modules = current_app.extensions.setdefault("nhsuk_macro_modules", {})
    if folder not in modules:
        template = current_app.jinja_env.get_template(f"nhsuk/components/{folder}/macro.jinja")
        modules[folder] = template.make_module()
    return Markup(getattr(modules[folder], name)(values))


def error_list(form) -> list[dict]:
    """Items for the error summary, each linking to its field (the day box for dates)."""
    items = [{"text": message} for message in getattr(form, "form_errors", [])]
    for field in form:
        if field.errors:
            anchor = f"{field.id}-day" if isinstance(field, DateInputField) else field.id
            items.append({"text": field.errors[0], "href": f"#{anchor}"})
    return items


def clean_text(value):
    """Strip surrounding space and control characters (PostgreSQL refuses NUL) from input."""
    if not isinstance(value, str):
        return value
    kept = "".join(ch for ch in value if ch in "\n\t" or ch >= " " and ch != "\x7f")
    return kept.replace("\r", "").strip()


class MaxLength:
    """'Last name must be 100 characters or fewer': the NHS.UK error wording."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        if field.data and isinstance(field.data, str) and len(field.data) > self.limit:
            raise StopValidation(f"{field.label.text} must be {self.limit} characters or fewer")


def int_or_none(value):
    """Coerce for selects whose blank option means "none chosen"; junk is None, not a 500."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def apply_errors(form, errors: dict) -> None:
    """Put a service's refusal ({field: message}) onto the form: on the field it names, or
    at the top of the error summary when it names none."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors) + [message]
        else:
            form.form_errors.append(message)


class Form(FlaskForm):
    """Every form of the app: a single-line field (a title, a name, a place) refuses a new
    line, which would otherwise split an email header or a calendar line (issue 19)."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if (isinstance(field, StringField) and not isinstance(field, TextAreaField)
                    and any("\n" in raw or "\r" in raw for raw in field.raw_data or ()
                            if isinstance(raw, str))):
                field.errors = [*field.errors,
                                f"{field.label.text} must be on one line"]
                valid = False
        return valid
