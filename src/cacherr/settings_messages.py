"""Plain words for a setting's validation error: what is accepted, not the validator's own text.

pydantic says "Input should be a valid integer, unable to parse string as an integer"; a person editing a
setting wants "must be a whole number, such as 5". ``plain_message`` turns one error of
``ValidationError.errors()`` into such a sentence; an error it does not know keeps its own text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Ctx = Mapping[str, Any]


def _limit(word: str, key: str) -> Callable[[Ctx], str]:
    return lambda ctx: f"must be {word.format(ctx.get(key))}"


def _length(ctx: Ctx) -> str:
    least = ctx.get("min_length")
    return "must not be empty" if least == 1 else f"must be at least {least} characters long"


_BY_TYPE: dict[str, Callable[[Ctx], str]] = {
    "int_parsing": lambda _: "must be a whole number, such as 5",
    "int_type": lambda _: "must be a whole number, such as 5",
    "int_from_float": lambda _: "must be a whole number (no decimals), such as 5",
    "float_parsing": lambda _: "must be a number, such as 2.5",
    "float_type": lambda _: "must be a number, such as 2.5",
    "bool_parsing": lambda _: "must be true or false (yes/no and 1/0 work too)",
    "bool_type": lambda _: "must be true or false (yes/no and 1/0 work too)",
    "less_than_equal": _limit("{} or less", "le"),
    "greater_than_equal": _limit("{} or more", "ge"),
    "less_than": _limit("less than {}", "lt"),
    "greater_than": _limit("more than {}", "gt"),
    "string_too_short": _length,
    "string_too_long": _limit("at most {} characters long", "max_length"),
    "string_type": lambda _: "must be text",
    "literal_error": _limit("one of {}", "expected"),
    "enum": _limit("one of {}", "expected"),
    "missing": lambda _: "is required",
    "dict_type": lambda _: 'must be a JSON object, such as {"name": value}',
    "list_type": lambda _: "must be a list, such as [1, 2]",
    "json_invalid": lambda ctx: f"is not valid JSON ({ctx.get('error', 'malformed')})",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One validation error (an item of ``ValidationError.errors()``) in plain words."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _BY_TYPE:
        return _BY_TYPE[kind](ctx)
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
