"""Alembic revision files NNNN_<slug>.py."""
