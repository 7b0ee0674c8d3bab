"""shoudi's core models. Other packages define theirs on the same `Base` (see server/components.py)."""
from server.models.accounts import AppToken, User, UserRegion
from server.models.base import Base, JSONType, UTCDateTime, utcnow
from server.models.forms import FORM_STATES, Form, FormMedia, FormVersion, Project
from server.models.regions import Region
from server.models.security import AuthSession, DigestNonce, LoginThrottle
from server.models.submissions import PROCESSING_STATES, SETTLED_STATES, Attachment, Submission, SubmissionVersion

__all__ = [
    "AppToken", "Attachment", "AuthSession", "DigestNonce", "LoginThrottle", "Base", "FORM_STATES", "Form", "FormMedia", "FormVersion", "JSONType",
    "PROCESSING_STATES", "SETTLED_STATES", "Project", "Region", "Submission", "SubmissionVersion", "UTCDateTime", "User",
    "UserRegion", "utcnow",
]
