"""In-app notifications: a notice to one user (a merge that changes their day, a referral
triaged, a letter to send, a reminder). Low in the layers: any feature may write one, and
this package imports no other feature."""
