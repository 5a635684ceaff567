"""Alembic migrations for the assistant's database (a package so that it ships with storage)."""
