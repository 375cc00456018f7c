"""The front door: what each person needs first when they sign in."""
