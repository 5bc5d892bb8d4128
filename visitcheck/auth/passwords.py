"""What a new password must be (NIST SP 800-63B, section 5.1.1.2; OWASP ASVS 5.0 6.2).

At least 12 characters and at most 1,024, any characters, no composition rules;
never one found in breaches nor one made of common passwords, words, names and
patterns, nor of the user's own name or the service's. The list of breached
passwords is the one `zxcvbn` (MIT, PyPI) ships: the 30,000 most common passwords
of leaked sets, with English words, names and surnames; its estimator also catches
them l33t-spoken, reversed, repeated or joined ("password1234", "qwertyuiop12").
Everything is checked here, offline: no password leaves the server.
"""

from __future__ import annotations

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 1024
# zxcvbn's "safely unguessable" threshold (its score 3): 10^8 guesses, with the
# breached passwords and common words and names tried first.
MIN_GUESSES_LOG10 = 8.0
# zxcvbn's cost grows quickly with length; past this its estimate is not needed.
_ESTIMATE_CHARS = 64
_BREACHED = frozenset(FREQUENCY_LISTS["passwords"])
SERVICE_NAMES = ("visitcheck",)
# Words of the service that make a password easier to guess, not forbidden in it.
SERVICE_WORDS = ("visitcheck", "visit", "check", "safeguarding")


def password_problem(password: str, *, username: str = "", name: str = "") -> str | None:
    """Why `password` may not be used, in words for the person choosing it; None if fine."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    folded = password.casefold()
    if folded in _BREACHED:
        return "is one of the most common passwords found in breaches: choose another"
    if any(w.casefold() in folded for w in (username, *SERVICE_NAMES) if len(w) >= 3):
        return "must not contain your username or the service's name"
    context = [w for w in (username, name, *name.split(), *SERVICE_WORDS) if w]
    estimate = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=context)
    if estimate["guesses_log10"] < MIN_GUESSES_LOG10:
        return ("is too easy to guess: it is made of common passwords, words, names or "
                "patterns found in breaches (a few unrelated words make a good password)")
    return None
