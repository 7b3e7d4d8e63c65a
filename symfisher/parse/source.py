"""Front end of the safe parser: from the user's text to a validated Python syntax tree.

The text is checked (length, ASCII, no private or dunder names), Python keywords used
as symbol names (``lambda`` is a common rate parameter) are renamed so that
:func:`ast.parse` accepts them, and the tree is size-checked. Building SymPy objects
from the tree is :mod:`symfisher.parse`'s job.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

from symfisher.errors import ParseError

__all__ = ["KW_PREFIX", "MAX_LENGTH", "MAX_NODES", "Source", "prepare", "syntax_tree", "valid_identifier"]

MAX_LENGTH = 100_000
"""Longest accepted input string (characters)."""
MAX_NODES = 50_000
"""Largest accepted number of syntax-tree nodes."""

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_NAME_TOKEN = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")
KW_PREFIX = "_kw_"


def valid_identifier(name: str) -> bool:
    """Whether ``name`` may name a symbol: ASCII letters, digits, ``_``, not private.

    Python keywords are allowed (``lambda`` is a common rate parameter); ``True``,
    ``False`` and ``None`` are not.

    Examples
    --------
    >>> valid_identifier("sigma_1"), valid_identifier("__class__"), valid_identifier("lambda")
    (True, False, True)
    """
    return bool(_IDENTIFIER.match(name)) and name not in {"True", "False", "None"}


@dataclass(frozen=True)
class Source:
    """The user's text, the text handed to :func:`ast.parse`, and the shifts between them."""

    original: str
    prepared: str
    shifts: tuple[tuple[int, int], ...]  # (position in prepared, characters added before it)

    def where(self, node: ast.AST) -> str:
        """``column N: 'segment'`` of ``node`` in the user's text."""
        start = getattr(node, "col_offset", None)
        if start is None:
            return "in the expression"
        end = getattr(node, "end_col_offset", None) or start + 1
        lo, hi = self._original_pos(start), self._original_pos(end)
        seg = self.original[lo:hi]
        if len(seg) > 40:
            seg = seg[:37] + "..."
        return f"at column {lo + 1}: {seg!r}"

    def _original_pos(self, pos: int) -> int:
        added = 0
        for at, total in self.shifts:
            if at <= pos:
                added = total
        return max(pos - added, 0)


def prepare(text: object, max_length: int) -> Source:
    """Reject oversized, non-ASCII and private-name input; rename Python keywords."""
    if not isinstance(text, str):
        raise ParseError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > max_length:
        raise ParseError(f"expression is too long ({len(text)} characters, limit {max_length})")
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t\n\r")):
            raise ParseError(f"character {ch!r} at column {i + 1} is not allowed")
    if not text.strip():
        raise ParseError("empty expression")
    flat = re.sub(r"\s", " ", text)
    pieces: list[str] = []
    shifts: list[tuple[int, int]] = []
    last, added = 0, 0
    for m in _NAME_TOKEN.finditer(flat):
        name = m.group()
        if name.startswith("_"):
            raise ParseError(f"private or dunder name {name!r} at column {m.start() + 1} is not allowed")
        if keyword.iskeyword(name) and name not in {"True", "False", "None"}:
            pieces.append(flat[last : m.start()] + KW_PREFIX + name)
            last = m.end()
            added += len(KW_PREFIX)
            shifts.append((m.end() + added, added))
    pieces.append(flat[last:])
    return Source(text, "".join(pieces).strip(), tuple(shifts))


def regroup_sums(text: str, group: int = 256) -> str | None:
    """Parenthesize a long top-level sum ``a + b - c ...`` into groups of ``group`` terms.

    Python's parser builds ``a + b + ...`` as a left-deep tree and fails beyond a few
    thousand terms; SymPy prints binary ``+``/``-`` with spaces, so the top-level terms
    can be found without parsing. Returns None when there is nothing to regroup.
    """
    depth, cuts = 0, []
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and text.startswith((" + ", " - "), i):
            cuts.append(i)
    if len(cuts) < group:
        return None
    bounds = [0, *cuts, len(text)]
    terms = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    chunks = ["".join(terms[k : k + group]).strip() for k in range(0, len(terms), group)]
    return " + ".join(f"({c})" for c in chunks)


def syntax_tree(src: Source) -> tuple[ast.Expression, Source]:
    """Parse with :func:`ast.parse`, mapping every failure to :class:`ParseError`."""
    try:
        tree = ast.parse(src.prepared, mode="eval")
    except SyntaxError as exc:
        col = src._original_pos((exc.offset or 1) - 1) + 1
        raise ParseError(f"invalid syntax at column {col}: {exc.msg}{keyword_hint(src)}") from None
    except RecursionError:
        regrouped = regroup_sums(src.prepared)
        if regrouped is None:
            raise ParseError("expression is nested too deeply for the parser") from None
        return syntax_tree(Source(src.original, regrouped, ()))
    except (MemoryError, ValueError) as exc:
        raise ParseError(f"expression rejected by the parser: {type(exc).__name__}: {exc}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ParseError(f"expression has too many parts ({count} syntax nodes, limit {MAX_NODES})")
    return tree, src


def keyword_hint(src: Source) -> str:
    """Explain that Python keywords are read as symbol names (``lambda`` is a rate)."""
    used = sorted({m.group()[len(KW_PREFIX) :] for m in re.finditer(KW_PREFIX + r"\w+", src.prepared)})
    if not used:
        return ""
    names = ", ".join(map(repr, used))
    return f" ({names} read as symbol names: lambdas, conditionals and 'and'/'or' are not supported)"
