"""Small server-rendered SVG bar charts: pure functions of plain data, returning Markup.

Accessible: the <svg> has role="img" and aria-labelledby its own <title> and <desc>; every
bar has a <title> with its label and value; the page puts the chart's data table beside it.
No inline style attributes and no scripts (the CSP forbids them): colours and sizes are SVG
presentation attributes.
"""

from dataclasses import dataclass

from markupsafe import Markup, escape

TEXT = "#212b32"  # NHS.UK text colour
GRID = "#d8dde0"  # NHS.UK grey 4
# NHS.UK colours; each series also has a legend entry and its own column in the table.
# Light fills get a dark outline, so every bar stands out from the white page (WCAG 1.4.11).
ON_TIME, LATE, OVERDUE, NOT_DUE, CANCELLED, BLUE = (
    "#007f3b", "#ffb81c", "#d5281b", "#768692", "#425563", "#005eb8")

LEFT, RIGHT, TOP, BOTTOM, LEGEND = 40, 8, 12, 36, 22


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: tuple[int, ...]


def _nice_ceiling(value: int) -> int:
    """The smallest 'round' number >= value (1, 2, 5, 10, 20, 50, ...), at least 1."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="app-chart" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="inherit" '
        f'font-size="11" fill="{TEXT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def _axis(maximum: int, unit: str, width: int, top: int, plot_h: int) -> list[str]:
    out = []
    for tick in (0, maximum / 2, maximum):
        y = top + plot_h - plot_h * tick / maximum
        label = f"{tick:g}{unit}"
        out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1" aria-hidden="true"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
                   f'aria-hidden="true">{escape(label)}</text>')
    return out


def _label(x: float, height: int, label: str, sub: str = "") -> str:
    text = (f'<text x="{x:.1f}" y="{height - BOTTOM + 14}" text-anchor="middle" '
            f'aria-hidden="true">{escape(label)}')
    if sub:
        text += f'<tspan x="{x:.1f}" dy="12">{escape(sub)}</tspan>'
    return text + "</text>"


def _split(label: str) -> tuple[str, str]:
    """"Mar 2026" -> ("Mar", "2026"); "3 Mar 2026" -> ("3 Mar", "2026")."""
    head, _, tail = label.rpartition(" ")
    return (head, tail) if head else (tail, "")


def stacked_bars(chart_id: str, title: str, desc: str, labels: list[str],
                 series: list[Series], *, width: int = 640, height: int = 240) -> Markup:
    """One stacked bar per label (e.g. a month), one segment per series, with a legend.
    Labels like "Mar 2026" are drawn on two lines (the last word below)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    maximum = _nice_ceiling(max(totals, default=0))
    top = TOP + LEGEND
    plot_h = height - top - BOTTOM
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = slot * 0.6
    out = _open(chart_id, title, desc, width, height)
    x = LEFT
    for s in series:  # the legend
        out.append(f'<rect x="{x}" y="{TOP - 9}" width="10" height="10" fill="{s.colour}" '
                   f'stroke="{TEXT}" stroke-width="0.5" aria-hidden="true"/>')
        out.append(f'<text x="{x + 14}" y="{TOP}" aria-hidden="true">{escape(s.name)}</text>')
        x += 20 + 6.5 * len(s.name)
    out += _axis(maximum, "", width, top, plot_h)
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / maximum
            y -= h
            out.append(f'<rect class="app-chart__bar" x="{x:.1f}" y="{y:.1f}" '
                       f'width="{bar_w:.1f}" height="{h:.1f}" fill="{s.colour}" stroke="{TEXT}" '
                       f'stroke-width="0.5" '
                       f'data-label="{escape(label)}" data-series="{escape(s.name)}" '
                       f'data-value="{value}"><title>{escape(label)}, {escape(s.name)}: '
                       f'{value}</title></rect>')
        out.append(_label(x + bar_w / 2, height, *_split(label)))
    out.append("</svg>")
    return Markup("".join(out))


def bars(chart_id: str, title: str, desc: str, labels: list[str],
         values: list[int | None], *, maximum: int = 100, unit: str = "%",
         colour: str = BLUE, width: int = 640, height: int = 220,
         none_label: str = "none due") -> Markup:
    """One bar per label (e.g. a meeting) with its value printed above; None is drawn as
    no bar and labelled "none due"."""
    top = TOP + 12  # room for the value above a full bar
    plot_h = height - top - BOTTOM
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = slot * 0.6
    out = _open(chart_id, title, desc, width, height)
    out += _axis(maximum, unit, width, top, plot_h)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * i + (slot - bar_w) / 2
        shown = none_label if value is None else f"{value}{unit}"
        h = 0 if value is None else plot_h * min(value, maximum) / maximum
        y = top + plot_h - h
        out.append(f'<rect class="app-chart__bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                   f'height="{h:.1f}" fill="{colour}" data-label="{escape(label)}" '
                   f'data-value="{"" if value is None else value}"><title>{escape(label)}: '
                   f'{escape(shown)}</title></rect>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" '
                   f'text-anchor="middle" aria-hidden="true">{escape(shown)}</text>')
        out.append(_label(x + bar_w / 2, height, *_split(label)))
    out.append("</svg>")
    return Markup("".join(out))



def month_label(month) -> str:
    return f"{month:%b %Y}"


def meeting_label(starts_at) -> str:
    from mdt.timeutil import to_london
    local = to_london(starts_at)
    return f"{local.day} {local:%b %Y}"


def follow_through_by_month_chart(months) -> Markup:
    """Stacked bars of MonthFigures: what became of the actions due in each month."""
    labels = [month_label(m.month) for m in months]
    parts = [("Done on time", ON_TIME, "on_time"), ("Done late", LATE, "late"),
             ("Overdue now", OVERDUE, "overdue"), ("Not yet due", NOT_DUE, "not_yet_due"),
             ("Cancelled", CANCELLED, "cancelled")]
    series = [Series(name, colour, tuple(getattr(m.follow_through, field) for m in months))
              for name, colour, field in parts]
    return stacked_bars("chart-months", "Actions by month due, by what became of them",
                        "Stacked bars, one for each of the last 12 months: actions done on "
                        "time, done late, overdue now, not yet due and cancelled. The table "
                        "after the chart has the same numbers.", labels, series)


def follow_through_by_meeting_chart(meetings) -> Markup:
    """Bars of the follow-through rate of each meeting's actions, oldest meeting first."""
    ordered = list(reversed(meetings))
    return bars("chart-meetings", "Follow-through rate by meeting",
                "One bar for each of the latest finished meetings, oldest first: the "
                "percentage of its actions due so far that were done by their due date. The "
                "table after the chart has the same numbers.",
                [meeting_label(m.starts_at) for m in ordered],
                [m.follow_through.percent for m in ordered])


def place_of_death_chart(months) -> Markup:
    """Share of deaths in the preferred place, by month (of those with a preference known)."""
    return bars("chart-place-of-death", "Deaths in the preferred place, by month",
                "One bar for each of the last 12 months: of the deaths whose preferred place "
                "was recorded, the percentage that happened there. The table after the chart "
                "has the numbers.", [month_label(m.month) for m in months],
                [m.preferred_percent for m in months], none_label="none known")
