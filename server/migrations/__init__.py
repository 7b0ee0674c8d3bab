"""Alembic migrations of the shoudi schema (a package so that wheels ship it)."""
