"""Each case of the meeting's case list, written straight in Python (as mdt/field_html.py
writes form fields): the same markup 500 times on a long list was most of the page's time
in Jinja (about 60 outputs a case, 3 ms a case with its forms before issue 21). The list
around it, its one form and its headings stay in templates/meetings/_case_list.html. In
the chair's tools each button carries its case's id and its accessible name says which
patient (visually hidden text). NHS.UK design system classes throughout; what varies is
worked out in the presenter (pages.CaseItem)."""

from markupsafe import Markup, escape

from mdt.timeutil import format_date

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


def _actions(label: str, css: str, found, today, overdue: bool) -> str:
    if not found:
        return ""
    parts = []
    for a in found:
        late = ', <strong class="nhsuk-tag nhsuk-tag--red">Overdue</strong>' \
            if overdue and a.action.due_on < today else ""
        parts.append(f"{escape(a.action.description)} ({escape(a.owner_name)}, due "
                     f"{format_date(a.action.due_on)}{late})")
    return f'<p class="nhsuk-body-s {css}">{label}: {"; ".join(parts)}</p>'


def case_item(item, *, tools: bool, today) -> Markup:
    """One case of the list (<li>), with the chair's tools when she may change the list."""
    row, case = item.row, item.row.case
    case_id, name = int(item.id), escape(item.name)
    expected = (f'<span class="nhsuk-body-s app-expected" id="expected-{case_id}">'
                f'{escape(item.expected)}</span>') if item.expected else ""
    carried = '<span class="nhsuk-body-s">Carried forward from an earlier meeting</span>' \
        if case.carried_from_id else ""
    referral = (f'<details class="nhsuk-details app-referral-details"><summary '
                f'class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">The '
                f'referral<span class="{HIDDEN}"> for {name}</span>: background and what has '
                f'been tried</span></summary><div class="nhsuk-details__text">{item.referral}'
                f'</div></details>') if item.referral else ""
    referred = f" · Referred by {escape(case.referred_by)}" if case.referred_by else ""
    key_worker = escape(row.info.key_worker_name) if row.info and row.info.key_worker_name \
        else '<strong class="nhsuk-tag nhsuk-tag--orange">None</strong>'
    review = f" · {item.review_tag}" if item.review_tag else ""
    key_info = ""
    if item.key_info is not None:
        recorded = " · ".join(f"{escape(label)}: <strong>{escape(value)}</strong>"
                              for label, value in item.key_info)
        key_info = (f'<p class="nhsuk-body-s app-case-key-info"><span class="{HIDDEN}">Key '
                    f'information: </span>{recorded or "Key information: none recorded"}</p>')
    drag = ' draggable="true"' if tools else ""
    not_actioned = _actions("Recommendations not yet actioned", "app-not-actioned",
                            row.not_actioned, today, True)
    others = _actions("Open actions", "app-open-actions", row.other_actions, today, False)
    return Markup(
        f'<li class="app-case case-row" id="case-{case_id}" data-case-id="{case_id}"{drag}>'
        f'<div class="app-case__main">'
        f'<h3 class="nhsuk-heading-s"><a href="{escape(item.patient_url)}">{name}</a> '
        f'<span class="nhsuk-body-s">{escape(item.nhs_number)}</span></h3>'
        f'<p><strong class="nhsuk-tag {item.urgency_tag}">{escape(case.urgency_label)}</strong> '
        f'<strong class="nhsuk-tag {item.status_tag} case-status">{escape(case.status_label)}'
        f'</strong> {expected} {carried}</p>'
        f'<p class="app-case__reason">{escape(case.reason)}</p>{referral}'
        f'<p class="nhsuk-body-s">Presenting: {escape(row.presenter_name or "not decided")}'
        f'{referred} · Key worker: {key_worker} · {escape(row.patient.stage_label)}{review}</p>'
        f'{key_info}{not_actioned}{others}</div>{case_tools(item) if tools else ""}</li>\n')
