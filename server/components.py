"""Every pluggable part of the server in one place: add a line here to add a part.

Entries are dotted paths (`module` or `module:attribute`) so this file imports nothing itself.
"""

# Modules that define tables on server.models.Base (imported before migrations and at app start).
MODEL_MODULES = (
    "server.models",
    "server.register.models",
    "server.register.holds",
    "server.jobs",
    "server.exporting",
    "server.policies",
    "server.heartbeats",
    "server.encryption",
    "server.datasets",
    "server.instance_secret",
)

# Flask blueprints, registered in this order.
BLUEPRINTS = (
    "server.health:bp",
    "server.metrics:bp",
    "server.openrosa.views:bp",
    "server.api:bp",
    "server.exporting:bp",
    "server.register.openrosa_entities:bp",
    "server.console:bp",
    "server.console.root:bp",
)

# click groups/commands added to the `shoudi` CLI.
CLI_COMMANDS = (
    "server.cli_accounts:users",
    "server.cli_accounts:projects",
    "server.cli_accounts:tokens",
    "server.cli_forms:forms",
    "server.cli_submissions:submissions",
    "server.cli_submissions:reprocess",
    "server.jobs:worker_command",
    "server.register.cli:regions",
    "server.register.cli:compare_command",
    "server.register.cli:rescore_command",
    "server.register.cli:overdue_command",
    "server.register.cli:demo_group",
    "server.exporting:export_group",
    "server.policies:policies_group",
    "server.cli_blobs:blobs_group",
    "server.backup:backup_command",
    "server.backup:restore_command",
)

# Processing steps run in order on each received submission version (see server/ingest.py).
PROCESSING_STEPS = (
    "server.ingest_steps:parse_instance",
    "server.register.ingest_steps:score",
    "server.register.ingest_steps:apply_to_register",
)
