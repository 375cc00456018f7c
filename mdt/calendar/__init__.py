"""Calendars: iCalendar invitations (RFC 5545 + RFC 5546) and subscription feeds."""
