"""Self-checks for the book's exercises.

Introduced in the warm-up exercises (``exercises/00-warm-up``). Each exercise ends with a call to a
check from the chapter's package (``dltheory.scaling.exercises.check_...``), built from these primitives. A check
prints a short confirmation when the answer is right and raises :class:`WrongAnswer` with a message
that says *why* it is wrong when it is not. A student notebook leaves answers as ``...``
(Python's ``Ellipsis``); checking one raises :class:`NotAnswered` with a hint to fill it in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["WrongAnswer", "NotAnswered", "answered", "number", "array", "boolean", "function", "correct"]


class WrongAnswer(AssertionError):
    """The answer was checked and is wrong; the message says why."""


class NotAnswered(WrongAnswer):
    """The answer is still the placeholder ``...``."""


def answered(name: str, value: Any) -> Any:
    """Raise :class:`NotAnswered` if ``value`` is (or contains, at top level) the placeholder ``...``."""
    if value is Ellipsis or (isinstance(value, (tuple, list)) and any(v is Ellipsis for v in value)):
        raise NotAnswered(f"{name} is still the placeholder '...': replace it with your answer and run the cell again.")
    if isinstance(value, dict) and any(v is Ellipsis for v in value.values()):
        raise NotAnswered(f"{name} still holds a placeholder '...': fill in every entry and run the cell again.")
    return value


def correct(message: str) -> None:
    """Print the confirmation of a right answer."""
    print(f"✔ Correct. {message}".rstrip())


def number(
    name: str,
    value: Any,
    expected: float,
    *,
    rtol: float = 1e-2,
    atol: float = 0.0,
    hint: str = "",
    explain: str = "",
) -> float:
    """Check that ``value`` is a finite number within ``atol + rtol·|expected|`` of ``expected``."""
    answered(name, value)
    if isinstance(value, bool):
        raise WrongAnswer(f"{name} should be a number, not {value!r}.")
    try:
        v = float(np.asarray(value).item()) if not isinstance(value, (list, tuple, dict, str)) and np.ndim(value) == 0 else None
    except (TypeError, ValueError):
        v = None
    if v is None:
        raise WrongAnswer(f"{name} should be a single number, got {type(value).__name__} {value!r:.60}.")
    if not math.isfinite(v):
        raise WrongAnswer(f"{name} is {v}: check for a division by zero or a log of a non-positive number.")
    allowed = atol + rtol * abs(expected)
    if abs(v - expected) > allowed:
        direction = "too large" if v > expected else "too small"
        message = f"{name} = {v:.6g} is {direction}: it should be within {allowed:.3g} of the right value."
        if hint:
            message += f" Hint: {hint}"
        raise WrongAnswer(message)
    correct(explain or f"{name} = {v:.6g}.")
    return v


def array(
    name: str,
    value: Any,
    expected: Any,
    *,
    rtol: float = 1e-2,
    atol: float = 1e-8,
    hint: str = "",
    explain: str = "",
) -> np.ndarray:
    """Check an array answer against ``expected`` elementwise (shape first, then values)."""
    answered(name, value)
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise WrongAnswer(f"{name} should be an array of numbers, got {type(value).__name__}.") from None
    e = np.asarray(expected, dtype=float)
    if v.shape != e.shape:
        raise WrongAnswer(f"{name} has shape {v.shape}; it should have shape {e.shape}.")
    if not np.all(np.isfinite(v)):
        raise WrongAnswer(f"{name} contains NaN or inf.")
    bad = ~np.isclose(v, e, rtol=rtol, atol=atol)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        message = f"{name} differs from the right answer at {int(bad.sum())} of {bad.size} entries (first at index {first})."
        if hint:
            message += f" Hint: {hint}"
        raise WrongAnswer(message)
    correct(explain or f"{name} matches.")
    return v


def boolean(name: str, value: Any, expected: bool, *, why: str, explain: str = "") -> bool:
    """Check a yes/no answer; ``why`` explains the right answer when the student's is wrong."""
    answered(name, value)
    if not isinstance(value, (bool, np.bool_)):
        raise WrongAnswer(f"{name} should be True or False, got {value!r}.")
    if bool(value) != expected:
        raise WrongAnswer(f"{name} = {bool(value)} is not right: {why}")
    correct(explain or why)
    return bool(value)


def function(
    name: str,
    fn: Any,
    reference: Callable[..., Any],
    cases: Iterable[tuple[Any, ...]],
    *,
    rtol: float = 1e-4,
    atol: float = 1e-8,
    hint: str = "",
    explain: str = "",
) -> None:
    """Check a student's function against ``reference`` on each tuple of arguments in ``cases``."""
    answered(name, fn)
    if not callable(fn):
        raise WrongAnswer(f"{name} should be a function, got {type(fn).__name__}.")
    for args in cases:
        try:
            result = fn(*args)
        except Exception as err:  # noqa: BLE001 - report any failure of student code as a wrong answer
            raise WrongAnswer(f"{name}{_short(args)} raised {type(err).__name__}: {err}") from err
        if result is None or result is Ellipsis:
            raise NotAnswered(f"{name} returns {result!r}: write its body so that it returns the answer, then run the cell again.")
        try:
            got = np.asarray(result, dtype=float)
        except (TypeError, ValueError):
            raise WrongAnswer(f"{name}{_short(args)} returned {type(result).__name__}, not a number or an array of numbers.") from None
        want = np.asarray(reference(*args), dtype=float)
        if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
            message = f"{name}{_short(args)} returned {_short_value(got)}; expected {_short_value(want)}."
            if hint:
                message += f" Hint: {hint}"
            raise WrongAnswer(message)
    correct(explain or f"{name} agrees with the reference on every test case.")


def _short(args: tuple[Any, ...]) -> str:
    parts = [repr(a) if np.ndim(a) == 0 else f"<array {np.shape(a)}>" for a in args]
    return "(" + ", ".join(parts) + ")"


def _short_value(x: np.ndarray) -> str:
    return f"{x.item():.6g}" if x.ndim == 0 else f"array of shape {x.shape}"
