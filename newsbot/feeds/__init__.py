"""Feeds polled on a schedule: the feeds table, parsing RSS and Atom, and turning entries into articles."""
