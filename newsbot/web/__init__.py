"""Fetching from the web: http(s) only, every connection to an address checked as public, and the
main text of a page extracted as an `Article`."""
