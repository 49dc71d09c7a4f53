"""Validation scripts of monday_boards (run by `nox -s validation -- monday_boards`)."""
