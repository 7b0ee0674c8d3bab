"""Which blobs the database refers to: the one list of blob-holding columns (for backups, migrations
between stores and `shoudi blobs verify`). A new column holding a blob's sha256 is added here."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection

# (table, column, condition): the instance XML is a blob only for versions stored before it moved into
# its row; `token_sha256` (app tokens) is a digest, not a blob, and is not listed.
BLOB_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("attachments", "sha256", None),
    ("submission_versions", "xml_sha256", "xml IS NULL"),
    ("form_versions", "xlsx_sha256", None),
    ("form_media", "sha256", None),
    ("comparison_batches", "blob_sha256", None),
    ("export_batches", "blob_sha256", None),
)


def referenced_blobs(conn: Connection) -> Iterator[str]:
    """Every distinct sha256 the database refers to (tables not present in this schema are skipped)."""
    from sqlalchemy import inspect

    present = set(inspect(conn).get_table_names())
    parts = [f"SELECT {column} AS sha FROM {table} WHERE {column} IS NOT NULL"
             + (f" AND {condition}" if condition else "")
             for table, column, condition in BLOB_COLUMNS if table in present]
    if not parts:
        return
    result = conn.execution_options(stream_results=True).execute(
        text(" UNION ".join(parts) + " ORDER BY sha"))
    for (sha,) in result:
        yield sha
