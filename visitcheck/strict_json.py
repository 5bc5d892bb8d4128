"""JSON as the wire allows it, for request bodies and opened envelopes alike.

Python's `json` reads more than JSON: `NaN` and `Infinity`, integers of any
size, nesting until the interpreter's stack runs out. Each of those reached
the database or a later answer (a stored NaN made every pull invalid JSON; an
integer past 2^63 or a NUL byte made PostgreSQL raise), so everything a client
sends is read here first, and refused whole if it is not plain JSON.
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than anything the app sends (a checklist's answers are about six levels).
MAX_DEPTH = 32
# Integers a JavaScript client holds exactly; anything larger is not from the app.
MAX_SAFE_INTEGER = 2**53 - 1


class NotStrictJSON(ValueError):
    """Not UTF-8 JSON within the limits above; the message says why, for the client."""


def _refuse_constant(constant: str) -> Any:
    raise NotStrictJSON(f"{constant} is not JSON")


def _whole_number(text: str) -> int:
    # Digits beyond 16 cannot be a safe integer; not parsing them also avoids
    # the quadratic cost of converting a very long digit string.
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_SAFE_INTEGER:
        raise NotStrictJSON("integers must be within ±(2^53 - 1)")
    return int(text)


def loads(data: bytes | str) -> Any:
    """Parse strict JSON, or raise NotStrictJSON."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotStrictJSON("the body must be UTF-8") from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_whole_number)
    except NotStrictJSON:
        raise
    except RecursionError:
        raise NotStrictJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise NotStrictJSON(f"not JSON: {error}") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Raise NotStrictJSON if a parsed value nests too deep, holds a NUL character
    or a float that is not finite. Iterative: the depth itself is what is checked."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise NotStrictJSON(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and item - item != 0:  # NaN or ±Infinity
            raise NotStrictJSON("numbers must be finite")


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise NotStrictJSON("text must not contain NUL characters")
