"""Emails from plain data: what each reminder says, and the MIME message that carries it.
Pure functions (no Flask, no database), so every wording is unit-tested.

No patient-identifiable data goes in: the payloads the planner makes hold counts, dates,
meeting titles and links only, and these builders add nothing else. A link needs signing in."""

import random
import re
import secrets
import sys
from binascii import b2a_base64
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from mdt.timeutil import format_date, to_london

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "reminders" / "email"

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True)


@dataclass(frozen=True)
class Content:
    subject: str
    heading: str
    lines: tuple[str, ...]
    items: tuple[tuple[str, str], ...]  # a summary list: (label, value)
    button: str
    link: str  # absolute


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def when_text(value: str) -> str:
    """'Tuesday 8 December 2026 at 12:30' in UK time."""
    local = to_london(_when(value))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def short_when(value: str) -> str:
    local = to_london(_when(value))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def _day_text(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def digest_summary(payload: dict) -> str:
    """'You have 3 actions due today, 1 due this week and 2 overdue'."""
    parts = []
    if payload["due_today"]:
        parts.append(f"{_plural(payload['due_today'], 'action')} due today")
    if payload["due_this_week"]:
        parts.append(f"{payload['due_this_week']} due this week" if parts
                     else f"{_plural(payload['due_this_week'], 'action')} due this week")
    if payload["overdue"]:
        parts.append(f"{payload['overdue']} overdue" if parts
                     else f"{_plural(payload['overdue'], 'action')} overdue")
    if len(parts) > 1:
        return "You have " + ", ".join(parts[:-1]) + " and " + parts[-1]
    return "You have " + parts[0]


def notice_text(kind: str, payload: dict, first: bool = True) -> str:
    """One line: the email's subject and the in-app notification's text."""
    if kind == "meeting_invitation":
        label = "Invitation" if first else "Updated invitation"
        return f"{label}: {payload['title']}, {short_when(payload['starts_at'])}"
    if kind == "series_invitation":
        label = "Invitation" if first else "Updated invitation"
        return f"{label}: {payload['title']} ({payload['description']})"
    if kind == "meeting_cancellation":
        return f"Cancelled: {payload['title']}, {short_when(payload['starts_at'])}"
    if kind == "meeting_reminder":
        cases = payload["case_count"]
        return (f"Tomorrow: {payload['title']} at {to_london(_when(payload['starts_at'])):%H:%M}"
                f" ({_plural(cases, 'case') if cases else 'no cases yet'})")
    if kind == "action_digest":
        return digest_summary(payload)
    if kind == "action_assigned":
        return f"You have a new action, due {format_date(date.fromisoformat(payload['due_on']))}"
    if kind == "visits_tomorrow":
        return f"Your visits tomorrow: {payload['count']}"
    if kind == "visit_notice":
        return "A change to your visits"
    if kind == "hna_due":
        return ("A patient's Holistic Needs Assessment review is due on "
                f"{format_date(date.fromisoformat(payload['due_on']))}")
    if kind == "team_invitation":
        return f"{payload['inviter']} invites you to the {payload['team']} team's MDT"
    raise ValueError(f"unknown kind {kind}")


def your_cases(payload: dict) -> tuple[tuple[str, str], ...]:
    """The summary row saying when the reader's own cases come up: times and a count."""
    block = payload.get("your_cases")
    if not block:
        return ()
    start = to_london(_when(block["starts_at"]))
    end = to_london(_when(block["ends_at"]))
    return (("Your cases", f"{_plural(block['count'], 'case')}, expected from about "
                           f"{start:%H:%M} to {end:%H:%M}"),)


def content(kind: str, payload: dict, base_url: str, first: bool = True) -> Content:
    """What the email says, for any kind."""
    link = base_url.rstrip("/") + payload.get("link", "/")
    subject = notice_text(kind, payload, first)
    if kind == "meeting_invitation":
        return Content(
            subject, payload["title"],
            ("You are invited to this meeting." if first else
             "This meeting has changed. The calendar entry in this email replaces the "
             "one you had.",),
            (("When", when_text(payload["starts_at"])),
             *((("Where", payload["location"]),) if payload["location"] else ()),
             *your_cases(payload)),
            "View the meeting", link)
    if kind == "series_invitation":
        return Content(
            subject, payload["title"],
            ("You are invited to this series of meetings." if first else
             "This series of meetings has changed. The calendar entry in this email "
             "replaces the one you had.",),
            (("How often", payload["description"]),
             ("Next", when_text(payload["starts_at"])),
             *((("Where", payload["location"]),) if payload["location"] else ())),
            "View meetings", link)
    if kind == "meeting_cancellation":
        return Content(subject, f"Cancelled: {payload['title']}",
                       ("This meeting has been cancelled. Its case list moves to the next "
                        "meeting.",),
                       (("Was", when_text(payload["starts_at"])),), "View meetings", link)
    if kind == "meeting_reminder":
        cases = payload["case_count"]
        return Content(
            subject, f"{payload['title']} is tomorrow",
            (f"There {'is' if cases == 1 else 'are'} {_plural(cases, 'case')} on the case "
             "list." if cases else "There are no cases on the case list yet.",),
            (("When", when_text(payload["starts_at"])),
             *((("Where", payload["location"]),) if payload["location"] else ()),
             *your_cases(payload)),
            "View the case list", link)
    if kind == "action_digest":
        return Content(
            subject, "Your actions", (digest_summary(payload) + ".",),
            (("Due today", str(payload["due_today"])),
             ("Due later this week", str(payload["due_this_week"])),
             ("Overdue", str(payload["overdue"]))),
            "View my actions", link)
    if kind == "action_assigned":
        return Content(subject, "You have a new action",
                       ("Someone in your team has given you an action.",),
                       (("Due", format_date(date.fromisoformat(payload["due_on"]))),),
                       "View the action", link)
    if kind == "visits_tomorrow":
        return Content(
            subject, f"Your visits on {_day_text(payload['day'])}",
            (f"You have {_plural(payload['count'], 'visit')} planned.",),
            tuple((when, _plural(count, "visit")) for when, count in payload["slots"]),
            "View my day", link)
    if kind == "visit_notice":
        return Content(subject, "A change to your visits", (payload["text"],), (),
                       "View my visits", link)
    if kind == "hna_due":
        return Content(
            subject, "A review is due",
            ("A patient for whom you are the key worker is due a Holistic Needs Assessment "
             "review.",),
            (("Due", format_date(date.fromisoformat(payload["due_on"]))),),
            "View the patient", link)
    if kind == "team_invitation":
        return Content(
            subject, f"Join the {payload['team']} team",
            (f"{payload['inviter']} has invited you to the {payload['team']} team on "
             "Neighbourhood MDT, where the team runs its multidisciplinary meetings.",
             "Sign in with your organisation's account (for example your NHS smartcard or "
             "your NHSmail account) using the email address this was sent to. No password "
             "is needed.",),
            (("Invitation ends", format_date(date.fromisoformat(payload["expires_on"]))),),
            "Sign in", link)
    raise ValueError(f"unknown kind {kind}")


def render(item: Content, unsubscribe_url: str, topic_label: str) -> tuple[str, str]:
    """(plain text, HTML)."""
    values = {"c": item, "unsubscribe_url": unsubscribe_url, "topic_label": topic_label}
    return (_env.get_template("message.txt").render(values),
            _env.get_template("message.html").render(values))


def build_message(item: Content, *, to: str, sender: str, unsubscribe_url: str,
                  topic_label: str, message_id: str, sent_at: datetime,
                  calendar: tuple[bytes, str] | None = None) -> MIMEMultipart:
    """The MIME message: multipart/alternative with text, HTML and, for invitations, the
    text/calendar part with its method (REQUEST or CANCEL) as Outlook and Google need.
    (The email.mime classes: a third of the cost of EmailMessage's header objects.)"""
    text, html = render(item, unsubscribe_url, topic_label)
    message = MIMEMultipart("alternative")
    subject = " ".join(item.subject.split())  # a stored title with a new line: one line
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    if calendar is not None:
        ics, method = calendar
        part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        message.attach(part)
    return message


# --- the fast path: a message built from a prepared skeleton ---------------------------
# build_message above is the reference: email.mime objects flattened by the email package's
# generator, which costs more than sending the message (header objects, folding, a regex
# over the whole text for the boundary). prepare() writes the same bytes directly
# (tests/reminders/test_emails.py holds the two equal, byte for byte, for every kind and for
# subjects, senders and addresses hypothesis makes up), and fills the text and HTML from
# the templates rendered once per shape of content, with slots for the values.

CRLF = "\r\n"
MAX_LINE = 78  # the compat32 policy's max_line_length, which folds headers
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))
_SLOT = "slot" + secrets.token_hex(8)  # where a value goes in a prepared skeleton
_PART_HEAD = {  # what MIMEText(text, subtype, "utf-8") writes before its payload
    "plain": 'Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
             "Content-Transfer-Encoding: base64\r\n\r\n",
    "html": 'Content-Type: text/html; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n",
}
_CALENDAR_HEAD = ("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
                  'Content-Type: text/calendar; charset="utf-8"; method="{}"\r\n\r\n')


@dataclass(frozen=True)
class Prepared:
    """A message as it goes on the wire (CRLF line ends), and its envelope sender."""
    sender: str
    content: bytes
    international: bool = False  # an address beyond ASCII: needs the server's SMTPUTF8

    def as_string(self) -> str:
        return self.content.decode("ascii").replace(CRLF, "\n")


def _header(name: str, value) -> str:
    """One header line as the compat32 generator writes it: as it is when it is plain ASCII
    and fits, else folded and encoded by the email package itself."""
    if isinstance(value, str) and value.isascii() and len(name) + len(value) + 2 <= MAX_LINE \
            and value.isprintable() and "  " not in value and value == value.strip():
        return f"{name}: {value}{CRLF}"
    if isinstance(value, str):
        value = Header(value, header_name=name)
    return f"{name}: {value.encode(linesep=CRLF, maxlinelen=MAX_LINE)}{CRLF}"


def _base64(text: str) -> str:
    """The payload as email.base64mime.body_encode writes it (76-character lines), CRLF."""
    data = text.encode("utf-8")
    return "".join(b2a_base64(data[i:i + 57]).decode("ascii")[:-1] + CRLF
                   for i in range(0, len(data), 57))


_SLOT_NAME = re.compile(f"{_SLOT}-([a-z]+[0-9]*)-")


def _slot(name: str) -> str:
    return f"{_SLOT}-{name}-"


@lru_cache(maxsize=64)
def _skeleton(lines: int, items: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two templates rendered once for a shape of content (how many lines and summary
    rows: all the templates' logic depends on), with a named slot for every value; split
    into literal text and slot names, alternately."""
    shape = Content(_slot("subject"), _slot("heading"),
                    tuple(_slot(f"line{n}") for n in range(lines)),
                    tuple((_slot(f"label{n}"), _slot(f"value{n}")) for n in range(items)),
                    _slot("button"), _slot("link"))
    text, html = render(shape, _slot("unsubscribe"), _slot("topic"))
    return tuple(_SLOT_NAME.split(text)), tuple(_SLOT_NAME.split(html))


def _fill(pieces: tuple[str, ...], values: dict, html: bool) -> str:
    out = list(pieces)
    for n in range(1, len(out), 2):
        value = values[out[n]]
        out[n] = str(escape(value)) if html else value  # as Jinja's autoescape does
    return "".join(out)


def render_prepared(item: Content, unsubscribe_url: str, topic_label: str) -> tuple[str, str]:
    """What render() returns, from the prepared skeleton: no template runs per message."""
    text, html = _skeleton(len(item.lines), len(item.items))
    values = {"subject": item.subject, "heading": item.heading, "button": item.button,
              "link": item.link, "unsubscribe": unsubscribe_url, "topic": topic_label}
    for n, line in enumerate(item.lines):
        values[f"line{n}"] = line
    for n, (label, value) in enumerate(item.items):
        values[f"label{n}"], values[f"value{n}"] = label, value
    return _fill(text, values, False), _fill(html, values, True)


@lru_cache(maxsize=64)
def _calendar_part(ics: bytes, method: str) -> str:
    return _CALENDAR_HEAD.format(method) + _base64(ics.decode("utf-8"))


@lru_cache(maxsize=8)
def _address(sender: str) -> str:
    return parseaddr(sender)[1]


def boundary() -> str:
    """As the email package makes one: fifteen '=', a random number, '=='. (It then
    searches the parts for it; here the parts are base64 and headers of our own, which
    cannot hold a line starting '--=', so there is nothing to search.)"""
    return "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_WIDTH}d}" + "=="


def prepare(item: Content, *, to: str, sender: str, unsubscribe_url: str,
            topic_label: str, message_id: str, sent_at: datetime,
            calendar: tuple[bytes, str] | None = None, boundary_text: str | None = None
            ) -> Prepared:
    """The bytes build_message's message flattens to (as smtplib.send_message sends it)."""
    text, html = render_prepared(item, unsubscribe_url, topic_label)
    mark = boundary_text or boundary()
    subject = " ".join(item.subject.split())
    head = "".join((
        f'Content-Type: multipart/alternative;{CRLF} boundary="{mark}"{CRLF}'
        if len(mark) == 36 else _header("Content-Type",
                                        f'multipart/alternative; boundary="{mark}"'),
        "MIME-Version: 1.0", CRLF,
        _header("Subject", subject if subject.isascii() else Header(subject, "utf-8")),
        _header("From", sender), _header("To", to),
        _header("Date", format_datetime(sent_at)), _header("Message-ID", message_id),
        _header("List-Unsubscribe", f"<{unsubscribe_url}>"),
        "Auto-Submitted: auto-generated", CRLF, "X-Auto-Response-Suppress: All", CRLF, CRLF))
    parts = [_PART_HEAD["plain"] + _base64(text), _PART_HEAD["html"] + _base64(html)]
    if calendar is not None:
        parts.append(_calendar_part(*calendar))
    line = f"--{mark}{CRLF}"
    body = line + f"{CRLF}{line}".join(parts) + f"{CRLF}--{mark}--{CRLF}"
    envelope = _address(sender)
    return Prepared(envelope, (head + body).encode("ascii"),
                    not (envelope.isascii() and to.isascii()))
