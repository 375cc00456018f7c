"""Reminders: a planner computes what is due from the data into an outbox table (one row
per kind, subject, recipient and occasion), RQ jobs send each row once by email, and the
same events become in-app notifications."""
