"""Audit events: who viewed or changed what. Below every feature (each writes here); the
audit log's pages are mdt.audit_log."""
