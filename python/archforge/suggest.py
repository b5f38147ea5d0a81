"""Suggestions for misspelt names in configuration files and on the command line."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from archforge.errors import ConfigError


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest option, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_keys(where: str, table: Mapping[str, object], allowed: set[str], error: type[ConfigError]) -> None:
    """Refuse unknown keys, so that a typo cannot silently drop a setting."""
    for key in table:
        if key not in allowed:
            raise error(f"{where}: unknown key {key!r}{did_you_mean(key, allowed)}")
