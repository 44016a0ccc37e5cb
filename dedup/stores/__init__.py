"""Persistence for the Index: the Store protocol, the memory and SQLite stores, their settings."""
