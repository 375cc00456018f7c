"""Referrals to the meeting: a structured request for discussion, triaged by the chair."""
