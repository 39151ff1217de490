"""Allocation solver: scenario, integer instance, CP-SAT model, validator.

This package imports nothing else of the project (see docs/ARCHITECTURE.md); the command
line in ``solver/__main__.py`` is the only composition root that may read a parcel store.
"""
