"""The domain's error hierarchy; views turn these into HTTP responses."""

from __future__ import annotations

from collections.abc import Mapping


class DialerError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(DialerError):
    pass


class Conflict(DialerError):
    """The request clashes with stored data (a duplicate name, an object in use)."""


class Forbidden(DialerError):
    pass


class InvalidInput(DialerError):
    """Bad input; ``fields`` maps a field name to the message shown beside it."""

    def __init__(self, fields: Mapping[str, str] | str) -> None:
        if isinstance(fields, str):
            fields = {"__all__": fields}
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))
