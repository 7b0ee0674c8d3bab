"""Security tests (issue #12), one package per area, each with its own fixtures:

- `register/`: writes through submissions bound to the submitter's regions, held submissions, evidence;
- `auth/`: logins, lockout, passwords, sessions, Digest, masking by role, transport;
- `input/`: hostile input, slow clients, import limits, publishing, export safety.
"""
