"""The `newsbot` command and the terminal chat, with answers rendered as plain text."""
