"""The fields written in Python (mdt/field_html.py) are the NHS.UK macros' markup: same
elements, attributes, classes and text, for every form field of the app, with and without
an error, and with the parameters the templates pass."""

import time

import pytest
from bs4 import BeautifulSoup, NavigableString
from wtforms.fields import DateField

import mdt
from mdt.field_html import fast_html
from mdt.forms import Form, _kind, field_params, macro_field

PARAMS = [{}, {"rows": 3}, {"classes": "nhsuk-input--width-10"},
          {"classes": "nhsuk-input--width-3", "inputmode": "numeric"},
          {"autocomplete": "off"}, {"id": "custom-7"},
          {"attributes": {"data-thing": "1"}}, {"hint": {"text": "Say <why>"}}]


def _shape(html: str):
    """Elements, attributes (classes as a set) and whitespace-normalised text, in order."""
    def walk(node):
        if isinstance(node, NavigableString):
            text = " ".join(str(node).split())
            return [text] if text else []
        attrs = {k: (frozenset(v) if k == "class" else v) for k, v in node.attrs.items()}
        inner = [part for child in node.children for part in walk(child)]
        return [(node.name, tuple(sorted(attrs.items(), key=str)), tuple(inner))]
    return walk(BeautifulSoup(html, "html.parser"))


def _forms():
    """Every Form subclass of the app."""
    import importlib
    import pkgutil
    for module in pkgutil.walk_packages(mdt.__path__, "mdt."):
        importlib.import_module(module.name)
    seen, stack = set(), [Form]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return sorted(seen, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def test_the_fast_fields_are_the_macros_markup(app):
    compared = 0
    with app.test_request_context():
        for cls in _forms():
            form = cls(meta={"csrf": False})
            for field in form:
                if field.type in ("HiddenField", "CSRFTokenField", "SubmitField",
                                  "BooleanField", "FileField", "MultipleFileField") \
                        or isinstance(field, DateField):
                    continue
                kind = _kind(field)
                if kind in ("radios", "checkboxes"):
                    continue  # (always the macros)
                if hasattr(field, "choices") and field.choices is None:
                    field.choices = [("", "Choose"), ("1", "One <1>"), ("2", "Two")]
                    try:
                        list(field.iter_choices())
                    except ValueError:  # a field whose coerce takes no blank (int)
                        field.choices = field.choices[1:]
                for params in PARAMS:
                    for errors in ([], ["Enter a <real> value"]):
                        field.errors = errors
                        values = field_params(field, **params)
                        fast = fast_html(kind, values)
                        if fast is None:
                            continue
                        macro = macro_field(kind, values)
                        assert _shape(fast) == _shape(macro), \
                            f"{cls.__name__}.{field.name} {params} {errors}\n{fast}\n" \
                            f"{' '.join(str(macro).split())}"
                        compared += 1
    assert compared > 300  # every kind, many fields


def test_the_fast_fields_are_much_faster(app):
    from mdt.actions.forms import ActionForm
    with app.test_request_context():
        field = ActionForm(meta={"csrf": False}).due_on
        values = field_params(field)
        macro_field("date", values)  # built once

        def best(render):
            times = []
            for _ in range(5):
                began = time.perf_counter()
                for _ in range(20):
                    render()
                times.append(time.perf_counter() - began)
            return min(times)
        ratio = best(lambda: fast_html("date", values)) / best(
            lambda: macro_field("date", values))
    assert ratio < 0.2, ratio


@pytest.mark.parametrize("values", [
    {"id": "x", "name": "x", "label": {"text": "X", "classes": "nhsuk-label--l"}},
    {"id": "x", "name": "x", "label": {"text": "X"}, "hint": {"html": "<b>x</b>"}},
    {"id": "x", "name": "x", "label": {"text": "X"}, "prefix": "£"},
])
def test_what_the_fast_fields_do_not_know_goes_to_the_macro(values):
    assert fast_html("input", values) is None

