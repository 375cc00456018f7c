"""What can be reminded. A *kind* is one sort of email; a *topic* is what a team turns on or
off and what a person unsubscribes from (an invitation, its updates and its cancellation
are one topic)."""

TOPICS = {  # topic -> (label, hint)
    "invitations": ("Meeting invitations",
                    "Invitations with a calendar entry when a meeting is scheduled, updates "
                    "when it changes and a cancellation when it is cancelled"),
    "meeting_reminder": ("Meeting reminder the day before",
                         "The number of cases on the list and a link to the meeting"),
    "action_digest": ("Morning summary of actions",
                      "At 8am: actions due today, due this week and overdue"),
    "action_assigned": ("Action assigned", "A note when someone gives a person an action"),
    "visits_tomorrow": ("Tomorrow's visits", "At 6pm: the number of visits planned for the "
                                             "next day"),
    "visit_notice": ("Changes to visits",
                     "A merge, unmerge or cancellation that changes someone's day"),
    "hna_due": ("Holistic Needs Assessment reviews due",
                "To key workers, a week before a patient's review falls due"),
    "team_invitation": ("Invitations to join the team",
                        "To a colleague a chair invites, with how to sign in"),
}

KINDS = {  # kind -> topic
    "meeting_invitation": "invitations",
    "series_invitation": "invitations",
    "meeting_cancellation": "invitations",
    "meeting_reminder": "meeting_reminder",
    "action_digest": "action_digest",
    "action_assigned": "action_assigned",
    "visits_tomorrow": "visits_tomorrow",
    "visit_notice": "visit_notice",
    "hna_due": "hna_due",
    "team_invitation": "team_invitation",
}

KIND_LABELS = {
    "meeting_invitation": "Meeting invitation",
    "series_invitation": "Series invitation",
    "meeting_cancellation": "Meeting cancellation",
    "meeting_reminder": "Meeting reminder",
    "action_digest": "Actions summary",
    "action_assigned": "Action assigned",
    "visits_tomorrow": "Tomorrow's visits",
    "visit_notice": "Visit change",
    "hna_due": "Review due",
    "team_invitation": "Team invitation",
}

STATUSES = {
    "pending": "Pending",      # in the outbox, not yet handed to the queue
    "queued": "Queued",        # a job is on the queue for it
    "sending": "Sending",      # a job claimed it and is talking to the mail server
    "sent": "Sent",
    "failed": "Failed",        # gave up after retries: see the reason; an admin can retry
    "withdrawn": "Withdrawn",  # no longer due: the meeting moved or was cancelled, say
}

DEFAULT_TOPICS = dict.fromkeys(TOPICS, True)


def topic_of(kind: str) -> str:
    return KINDS[kind]
