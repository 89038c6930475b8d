"""Published formats of the final tables."""
