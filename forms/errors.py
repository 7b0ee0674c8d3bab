"""The errors ``forms`` raises.

    FormsError
    ├── FormBuildError          an XLSForm does not compile (pyxform's message kept)
    └── SubmissionParseError    a submitted instance is malformed, unknown or unsafe
"""
from __future__ import annotations


class FormsError(Exception):
    """Base class of every error raised by ``forms``."""


class FormBuildError(FormsError):
    """An XLSForm could not be compiled to an XForm."""


class SubmissionParseError(FormsError):
    """A submission instance could not be read into a household record."""
