"""The NHS.UK form fields (input, textarea, select, date input) written straight in Python,
with the same markup as the design system's Jinja macros. Why: the macros cost 2-50 ms a
field (the date input most), which made a form-heavy page such as live mode spend most of
its time in them. tests/test_field_html.py holds this markup equal to the macros' for every
kind, with and without hints, errors and the parameters our templates pass.

Anything these functions do not know (an html hint, a label with classes, an unknown
parameter) returns None, and the caller falls back to the macro."""

from markupsafe import Markup, escape

KNOWN = {"id", "name", "label", "hint", "errorMessage", "value", "rows", "classes",
         "inputmode", "autocomplete", "type", "spellcheck", "items", "attributes",
         "namePrefix", "fieldset"}


def fast_html(kind: str, params: dict) -> Markup | None:
    if set(params) - KNOWN or not _plain(params.get("hint")) \
            or not _plain(params.get("errorMessage")):
        return None
    if kind in ("input", "textarea", "select"):
        label = params.get("label") or {}
        if set(label) - {"text"} or "fieldset" in params:
            return None
        render = {"input": _input, "textarea": _textarea, "select": _select}[kind]
        return Markup(render(params))
    if kind == "date":
        legend = ((params.get("fieldset") or {}).get("legend") or {})
        if set(params.get("fieldset") or {}) - {"legend"} or set(legend) - {"text"}:
            return None
        if any(set(item) - {"name", "label", "value", "inputmode", "width"}
               for item in params.get("items") or ()) \
                or {"rows", "inputmode", "autocomplete", "type", "spellcheck", "value"} & set(params):
            return None
        return Markup(_date(params, legend.get("text", "")))
    return None


def _plain(part) -> bool:
    return part is None or set(part) <= {"text"}


def _attrs(pairs) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in pairs if value is not None)


def _extra(params) -> list:
    return list((params.get("attributes") or {}).items())


def _messages(params, field_id) -> tuple[str, list[str]]:
    """The hint and the error message, and the ids they give aria-describedby."""
    html, ids = "", []
    if params.get("hint"):
        html += (f'<div class="nhsuk-hint" id="{escape(field_id)}-hint">'
                 f'{escape(params["hint"]["text"])}</div>')
        ids.append(f"{field_id}-hint")
    if params.get("errorMessage"):
        html += (f'<span class="nhsuk-error-message" id="{escape(field_id)}-error">'
                 '<span class="nhsuk-u-visually-hidden">Error: </span>'
                 f'{escape(params["errorMessage"]["text"])}</span>')
        ids.append(f"{field_id}-error")
    return html, ids


def _group(params, inner: str) -> str:
    error = " nhsuk-form-group--error" if params.get("errorMessage") else ""
    return f'<div class="nhsuk-form-group{error}">{inner}</div>'


def _label(params) -> str:
    return (f'<label class="nhsuk-label" for="{escape(params["id"])}">'
            f'{escape(params["label"]["text"])}</label>')


def _classes(base: str, params, error_class: str) -> str:
    return " ".join(filter(None, (base, error_class if params.get("errorMessage") else "",
                                  params.get("classes"))))


def _input(params) -> str:
    messages, described = _messages(params, params["id"])
    spellcheck = {True: "true", False: "false"}.get(params.get("spellcheck"))
    attrs = _attrs([("class", _classes("nhsuk-input", params, "nhsuk-input--error")),
                    ("id", params["id"]), ("name", params["name"]),
                    ("type", params.get("type") or "text"),
                    ("value", params.get("value") if params.get("value") is not None else None),
                    ("inputmode", params.get("inputmode")), ("spellcheck", spellcheck),
                    ("autocomplete", params.get("autocomplete")),
                    ("aria-describedby", " ".join(described) or None), *_extra(params)])
    return _group(params, f"{_label(params)}{messages}<input{attrs}>")


def _textarea(params) -> str:
    messages, described = _messages(params, params["id"])
    attrs = _attrs([("class", _classes("nhsuk-textarea", params, "nhsuk-textarea--error")),
                    ("id", params["id"]), ("name", params["name"]),
                    ("rows", params.get("rows") or 5),
                    ("autocomplete", params.get("autocomplete")),
                    ("aria-describedby", " ".join(described) or None), *_extra(params)])
    return _group(params, f"{_label(params)}{messages}<textarea{attrs}>"
                          f"{escape(params.get('value') or '')}</textarea>")


def _select(params) -> str:
    messages, described = _messages(params, params["id"])
    attrs = _attrs([("class", _classes("nhsuk-select", params, "nhsuk-select--error")),
                    ("id", params["id"]), ("name", params["name"]),
                    ("aria-describedby", " ".join(described) or None), *_extra(params)])
    options = "".join(
        f'<option value="{escape(item.get("value", ""))}"'
        f'{" selected" if item.get("selected") else ""}>{escape(item.get("text", ""))}</option>'
        for item in params.get("items") or ())
    return _group(params, f"{_label(params)}{messages}<select{attrs}>{options}</select>")


def _date(params, legend: str) -> str:
    field_id = params["id"]
    messages, described = _messages(params, field_id)
    error = bool(params.get("errorMessage"))
    items = []
    for item in params.get("items") or ():
        item_id = f"{field_id}-{item['name']}"
        name = f"{params['namePrefix']}[{item['name']}]" if params.get("namePrefix") \
            else item["name"]
        classes = " ".join(filter(None, ("nhsuk-input", "nhsuk-input--error" if error else "",
                                         f"nhsuk-input--width-{item.get('width', 2)}",
                                         "nhsuk-date-input__input")))
        attrs = _attrs([("class", classes), ("id", item_id), ("name", name), ("type", "text"),
                        ("value", item.get("value") or ""),
                        ("inputmode", item.get("inputmode"))])
        group = " nhsuk-form-group--error" if error else ""
        items.append(f'<div class="nhsuk-date-input__item"><div class="nhsuk-form-group{group}">'
                     f'<label class="nhsuk-label nhsuk-date-input__label" for="{escape(item_id)}">'
                     f'{escape(item.get("label") or item["name"].capitalize())}</label>'
                     f'<input{attrs}></div></div>')
    fieldset = _attrs([("class", "nhsuk-fieldset"), ("role", "group"),
                       ("aria-describedby", " ".join(described) or None)])
    return _group(params, f'<fieldset{fieldset}><legend class="nhsuk-fieldset__legend">'
                          f'{escape(legend)}</legend>{messages}'
                          f'<div{_attrs([("class", " ".join(filter(None, ("nhsuk-date-input", params.get("classes"))))), ("id", field_id), *_extra(params)])}>'
                          f'{"".join(items)}</div></fieldset>')
