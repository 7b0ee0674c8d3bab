"""The ingest benchmark's households: the generator lives in ``forms.samples`` (``shoudi demo fill`` uses it too)."""
from forms.samples import generate, household, instance_xml, skeleton  # noqa: F401
