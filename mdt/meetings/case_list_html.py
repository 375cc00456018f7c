"""The chair's tools beside each case of the case list (move up or down, its time, take it
off), written straight in Python: the same buttons and fields for every case, 500 times on
a long list, were most of the page's time in Jinja (about 40 outputs a case). One form
holds the whole list (templates/meetings/_case_list.html): each button carries its case's
id, and its accessible name says which patient (visually hidden text). Markup in the
NHS.UK design system's classes, as the templates write it."""

from markupsafe import Markup, escape

SMALL = "nhsuk-button nhsuk-button--secondary nhsuk-button--small"
HIDDEN = "nhsuk-u-visually-hidden"


def _time_field(case_id: int, key: str, name: str, label: str, value: str,
                error: str | None) -> str:
    field_id = f"{key}-{case_id}"
    if error:
        message = (f'<span class="nhsuk-error-message" id="{field_id}-error"><span '
                   f'class="{HIDDEN}">Error:</span> {escape(error)}</span>')
        return (f'<div class="nhsuk-form-group nhsuk-form-group--error">'
                f'<label class="nhsuk-label" for="{field_id}">{label}</label>{message}'
                f'<input class="nhsuk-input nhsuk-input--width-3 nhsuk-input--error" '
                f'id="{field_id}" name="{name}-{case_id}" inputmode="numeric" '
                f'value="{escape(value)}" aria-describedby="{field_id}-error"></div>')
    return (f'<div class="nhsuk-form-group"><label class="nhsuk-label" for="{field_id}">'
            f'{label}</label><input class="nhsuk-input nhsuk-input--width-3" id="{field_id}" '
            f'name="{name}-{case_id}" inputmode="numeric" value="{escape(value)}"></div>')


def case_tools(item) -> Markup:
    """Move up, move down, time and remove for one case (pages.CaseItem)."""
    case_id, name = int(item.id), escape(item.name)
    moves = ""
    if not item.first:
        moves += (f'<button class="{SMALL}" name="move_up" value="{case_id}">Move up<span '
                  f'class="{HIDDEN}">: {name}</span></button>')
    if not item.last:
        moves += (f'<button class="{SMALL}" name="move_down" value="{case_id}">Move down<span '
                  f'class="{HIDDEN}">: {name}</span></button>')
    time_fields = (
        _time_field(case_id, "minutes", "minutes", "Minutes for the case", item.minutes,
                    item.errors.get("minutes"))
        + _time_field(case_id, "break", "break_after", "Break after it (minutes)",
                      item.break_after, item.errors.get("break")))
    opened = " open" if item.typed else ""
    return Markup(
        f'<div class="app-case__tools">{moves}'
        f'<details class="nhsuk-details app-inline-details"{opened}>'
        f'<summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">'
        f'Time<span class="{HIDDEN}"> for {name}</span></span></summary>'
        f'<div class="nhsuk-details__text">{time_fields}'
        f'<button class="{SMALL}" name="save_time" value="{case_id}">Save time<span '
        f'class="{HIDDEN}"> for {name}</span></button></div></details>'
        f'<details class="nhsuk-details app-inline-details">'
        f'<summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">'
        f'Remove<span class="{HIDDEN}"> {name} from the list</span></span></summary>'
        f'<div class="nhsuk-details__text">'
        f'<label class="nhsuk-label" for="remove-{case_id}">Reason for removing</label>'
        f'<textarea class="nhsuk-textarea" id="remove-{case_id}" '
        f'name="removed_reason-{case_id}" rows="2"></textarea>'
        f'<button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" '
        f'name="remove" value="{case_id}">Remove case<span class="{HIDDEN}">: {name}</span>'
        f'</button></div></details></div>')
