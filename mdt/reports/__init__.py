"""Team figures: follow-through of actions and attendance over time (issue 13)."""
