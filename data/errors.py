"""The one exception importers raise for bad input."""

from __future__ import annotations


class DataImportError(ValueError):
    """Input data cannot be imported; the message names the problem and the fix.

    Parameters
    ----------
    problem : str
        What is wrong, naming the file, column or values concerned.
    fix : str
        What the user can do about it.
    """

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem.rstrip('.')}. Fix: {fix}")


def examples(values: object, limit: int = 5) -> str:
    """A short, readable list of offending values for error messages."""
    items = [repr(v) for v in list(values)[:limit]]
    more = len(list(values)) - limit
    return ", ".join(items) + (f" (and {more} more)" if more > 0 else "")
