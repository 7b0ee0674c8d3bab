"""Receiving submissions durably (intake) and reading their minimal header."""
