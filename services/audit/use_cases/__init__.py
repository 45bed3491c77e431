"""Audit use cases: each public method is one unit of work."""
