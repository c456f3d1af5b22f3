"""Helpers the test modules share: they make the tests' own inputs (clips, toy styles,
checkpoints) and read outputs back independently of the code under test.

A package, not ``conftest.py``: pytest loads conftest itself, so importing from it runs it
twice under two names. ``tests/conftest.py`` keeps only fixtures, built from these.
pytest finds the package through ``pythonpath = ["tests"]`` in ``pyproject.toml``.
"""
