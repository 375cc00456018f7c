"""Email builders are pure: wording, MIME structure, unsubscribe link, calendar part."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdt.reminders import emails, tokens

BASE = "https://mdt.example.nhs.uk"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

PAYLOADS = {
    "meeting_invitation": {"meeting_id": 7, "title": "Riverside MDT",
                           "starts_at": "2026-12-08T12:30Z", "ends_at": "2026-12-08T14:00Z",
                           "location": "Room 2", "sequence": 0, "link": "/meetings/7"},
    "series_invitation": {"series_id": 3, "title": "Monthly MDT",
                          "description": "Monthly on the second Tuesday",
                          "starts_at": "2026-12-08T12:30Z", "location": "", "sequence": 1,
                          "link": "/meetings"},
    "meeting_cancellation": {"meeting_id": 7, "title": "Riverside MDT",
                             "starts_at": "2026-12-08T12:30Z", "link": "/meetings"},
    "meeting_reminder": {"title": "Riverside MDT", "starts_at": "2026-07-08T11:30Z",
                         "location": "Room 2", "case_count": 3, "link": "/meetings/7"},
    "action_digest": {"day": "2026-11-24", "due_today": 3, "due_this_week": 0, "overdue": 1,
                      "link": "/actions"},
    "action_assigned": {"action_id": 4, "due_on": "2026-12-01", "link": "/actions/4"},
    "visits_tomorrow": {"day": "2026-11-25", "count": 3, "slots": [["Morning", 2],
                                                                    ["14:30", 1]],
                        "link": "/visits?date=2026-11-25"},
    "visit_notice": {"text": "A visit on 25 Nov 2026 was merged into a colleague's",
                     "link": "/visits/9"},
    "hna_due": {"due_on": "2026-12-01", "link": "/patients/5"},
}


def build(kind, calendar=None, first=True):
    item = emails.content(kind, PAYLOADS[kind], BASE, first)
    message = emails.build_message(
        item, to="priya@example.nhs.uk", sender="Neighbourhood MDT <no-reply@example.nhs.uk>",
        unsubscribe_url=f"{BASE}/reminders/unsubscribe/abc", topic_label="Things",
        message_id="<reminder-1@example.nhs.uk>", sent_at=NOW, calendar=calendar)
    return message_from_bytes(message.as_bytes(), policy=policy.default)


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_kind_has_text_and_html_parts_a_link_and_an_unsubscribe_link(kind):
    message = build(kind)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = BASE + PAYLOADS[kind]["link"]
    assert link in text
    assert link.replace("&", "&amp;") in html or link in html
    assert f"{BASE}/reminders/unsubscribe/abc" in text and "unsubscribe/abc" in html
    assert message["List-Unsubscribe"] == f"<{BASE}/reminders/unsubscribe/abc>"
    assert message["Message-ID"] == "<reminder-1@example.nhs.uk>"
    assert "#005eb8" in html  # NHS blue


def test_an_invitation_carries_its_calendar_part_with_the_method():
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = build("meeting_invitation", calendar=(ics, "REQUEST"))
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    assert list(parts) == ["text/plain", "text/html", "text/calendar"]
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in parts["text/calendar"].get_content()


def test_wording():
    assert build("action_digest")["Subject"] == \
        "You have 3 actions due today and 1 overdue"
    assert emails.digest_summary({"due_today": 0, "due_this_week": 1, "overdue": 0}) == \
        "You have 1 action due this week"
    assert emails.digest_summary({"due_today": 1, "due_this_week": 2, "overdue": 3}) == \
        "You have 1 action due today, 2 due this week and 3 overdue"
    assert build("meeting_invitation")["Subject"] == \
        "Invitation: Riverside MDT, Tue 8 Dec 2026, 12:30"
    assert build("meeting_invitation", first=False)["Subject"].startswith("Updated invitation")
    # Summer: 11:30 UTC is 12:30 in the UK.
    assert build("meeting_reminder")["Subject"] == "Tomorrow: Riverside MDT at 12:30 (3 cases)"
    assert build("visits_tomorrow")["Subject"] == "Your visits tomorrow: 3"


def test_html_escapes_what_people_typed():
    payload = dict(PAYLOADS["meeting_invitation"], title="<script>x</script>")
    item = emails.content("meeting_invitation", payload, BASE)
    _, html = emails.render(item, "u", "t")
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_unsubscribe_tokens_are_signed():
    token = tokens.make("secret", "Priya@Example.nhs.uk", "action_digest")
    assert tokens.read("secret", token) == ("priya@example.nhs.uk", "action_digest")
    assert tokens.read("other secret", token) is None
    assert tokens.read("secret", token[:-2] + "xx") is None


def test_a_title_beyond_ascii_is_encoded_in_the_subject():
    payload = dict(PAYLOADS["meeting_invitation"], title="Riverside MDT – Zoë's team")
    item = emails.content("meeting_invitation", payload, BASE)
    message = emails.build_message(item, to="a@example.nhs.uk", sender="x <n@example.nhs.uk>",
                                   unsubscribe_url="u", topic_label="t", message_id="<m@x>",
                                   sent_at=NOW)
    raw = message.as_bytes()
    assert raw.isascii()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"].startswith("Invitation: Riverside MDT – Zoë's team")
    assert "Zoë" in parsed.get_body(("plain",)).get_content()


# --- the fast path: the same bytes as the email package's, without it --------------------

def _reference(item, boundary, **fields) -> bytes:
    """What smtplib.send_message put on the wire for build_message's message."""
    import io
    from email.generator import BytesGenerator

    message = emails.build_message(item, **fields)
    message.set_boundary(boundary)
    out = io.BytesIO()
    BytesGenerator(out, policy=message.policy.clone(linesep="\r\n")).flatten(
        message, linesep="\r\n")
    return out.getvalue()


FIELDS = dict(to="priya@example.nhs.uk", sender="Neighbourhood MDT <no-reply@example.nhs.uk>",
              unsubscribe_url=f"{BASE}/reminders/unsubscribe/abc", topic_label="Things",
              message_id="<reminder-1@example.nhs.uk>", sent_at=NOW)
ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Zo\xc3\xab\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@pytest.mark.parametrize("first", [True, False])
def test_the_prepared_message_is_byte_for_byte_the_email_packages(kind, first):
    item = emails.content(kind, PAYLOADS[kind], BASE, first)
    calendar = (ICS, "CANCEL" if kind == "meeting_cancellation" else "REQUEST") \
        if kind in ("meeting_invitation", "series_invitation", "meeting_cancellation") else None
    mark = emails.boundary()
    prepared = emails.prepare(item, boundary_text=mark, calendar=calendar, **FIELDS)
    assert prepared.content == _reference(item, mark, calendar=calendar, **FIELDS)
    assert prepared.sender == "no-reply@example.nhs.uk" and not prepared.international
    parsed = message_from_bytes(prepared.content, policy=policy.default)
    assert [p.get_content_type() for p in parsed.iter_parts()][:2] == ["text/plain",
                                                                       "text/html"]
    if calendar:  # the iCalendar part: its method, and the calendar's bytes intact
        part = list(parsed.iter_parts())[2]
        assert part.get_param("method") == calendar[1]
        assert part.get_payload(decode=True) == ICS


def test_each_reader_gets_their_own_unsubscribe_link_from_one_rendering():
    item = emails.content("meeting_invitation", PAYLOADS["meeting_invitation"], BASE)
    links = [f"{BASE}/reminders/unsubscribe/{n}&x" for n in range(3)]
    for link in links:
        mark = emails.boundary()
        fields = dict(FIELDS, unsubscribe_url=link)
        assert emails.prepare(item, boundary_text=mark, **fields).content == \
            _reference(item, mark, **fields)


_title = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120)


@settings(max_examples=150, deadline=None)
@given(title=_title, location=st.text(max_size=40),
       local=st.from_regex(r"[a-z0-9.]{1,60}", fullmatch=True),
       name=st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=50),
       token=st.from_regex(r"[A-Za-z0-9_.-]{1,120}", fullmatch=True))
def test_prepared_equals_the_email_package_whatever_the_words(title, location, local, name,
                                                             token):
    """Titles people type (any script, long ones folded), senders' names, long addresses
    and links: the fast path writes what the email package writes."""
    payload = dict(PAYLOADS["meeting_invitation"], title=title, location=location)
    item = emails.content("meeting_invitation", payload, BASE)
    fields = dict(FIELDS, to=f"{local}@example.nhs.uk",
                  sender=f"{name} <no-reply@example.nhs.uk>".strip(),
                  unsubscribe_url=f"{BASE}/reminders/unsubscribe/{token}")
    mark = emails.boundary()
    assert emails.prepare(item, boundary_text=mark, calendar=(ICS, "REQUEST"),
                          **fields).content == _reference(item, mark, calendar=(ICS, "REQUEST"),
                                                          **fields)


_words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(subject=_words, heading=_words, lines=st.lists(_words, max_size=3),
       items=st.lists(st.tuples(_words, _words), max_size=4), button=_words, link=_words,
       unsubscribe=_words, topic=_words)
def test_the_prepared_skeleton_renders_what_the_templates_render(subject, heading, lines, items,
                                                                 button, link, unsubscribe,
                                                                 topic):
    """Any words, markup-like ones too (<, &, quotes): escaped in the HTML as Jinja does."""
    item = emails.Content(subject, heading, tuple(lines), tuple(items), button, link)
    assert emails.render_prepared(item, unsubscribe, topic) == \
        emails.render(item, unsubscribe, topic)
