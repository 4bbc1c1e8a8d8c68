"""Transition tables: a state machine is data; an illegal transition raises and changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Generic, TypeVar

S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)


class IllegalTransition(ValueError):
    def __init__(self, state: Enum, event: Enum) -> None:
        super().__init__(f"{event.value!r} is not allowed in state {state.value!r}")
        self.state, self.event = state, event


class TransitionTable(Generic[S, E]):
    def __init__(self, table: Mapping[tuple[S, E], S]) -> None:
        self._table = dict(table)

    def next(self, state: S, event: E) -> S:
        """The state after ``event``; raises IllegalTransition (and nothing changes) if not allowed."""
        try:
            return self._table[(state, event)]
        except KeyError:
            raise IllegalTransition(state, event) from None

    def allowed(self, state: S) -> set[E]:
        return {e for (s, e) in self._table if s == state}

    def items(self) -> list[tuple[tuple[S, E], S]]:
        return list(self._table.items())
