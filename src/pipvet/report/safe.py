"""What makes a result safe to show: the renderers' one boundary for hostile strings.

Advisory records, package metadata, index answers and file names are written by strangers. A
string from them can carry terminal escape sequences (rewrite the screen, hide a finding, fake
"PASSED") or a CI runner's log commands (GitHub's runner acts on ``##[add-mask]FAILED``
anywhere in a line of a job's log, and on ``::error::`` at a line's start), and a URL from the
user's own files can carry a credential. Each render function
passes its result through ``shown`` (or ``shown_json``) once, before any field is formatted:
every string in it, however deep, gets the userinfo of its URLs masked and, for text and
markdown, its control characters written out visibly (``\\x1b``).

Pure: no I/O; imports only ``pipvet.redact``.
"""

from __future__ import annotations

import enum
import functools
import operator
import re
import sys
from collections.abc import Callable

from pipvet.frozen import fields, is_frozen, replace
from pipvet.redact import mask_userinfo, may_hold_credentials

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any, ParamSpec, TypeVar

    T = TypeVar("T")
    P = ParamSpec("P")

__all__ = [
    "escape_controls",
    "json_renderer",
    "json_safe",
    "link_target",
    "markdown_link",
    "shown",
    "shown_json",
    "text_renderer",
]


# C0 controls except newline and tab, DEL, C1 controls, and the bidirectional overrides and
# isolates that reorder what a terminal shows ("Trojan Source").
# A lone surrogate (JSON's "\ud800" escape, read from a stranger's lock file) cannot be written
# as UTF-8 at all: shown escaped like the rest, it no longer ends the run in an internal error.
_CONTROL_PATTERN = (
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# What json.dumps(ensure_ascii=False) leaves raw yet a terminal acts on: DEL and C1.
_JSON_RAW_PATTERN = r"[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


# Compiled when first needed: the two classes above take about 1.3 ms to compile (their
# surrogate and bidi ranges), and a report whose strings are all printable ASCII needs neither.
@functools.cache
def _control() -> re.Pattern[str]:
    return re.compile(_CONTROL_PATTERN)


@functools.cache
def _json_raw() -> re.Pattern[str]:
    return re.compile(_JSON_RAW_PATTERN)


# A CI runner's log command: "##[name]" anywhere, "::name::" at the start of a line after any
# white space (GitHub's runner, actions/runner ActionCommand.TryParse and TryParseV2). The
# bracket, or the first colon, is written out like a control character: no command is left.
@functools.cache
def _runner_command() -> re.Pattern[str]:
    # Compiled on first use: a JSON report never needs it, nor does most text.
    return re.compile(r"##\[|^\s*:(?=:)", re.MULTILINE)


def _visible(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def _no_command(match: re.Match[str]) -> str:
    found = match.group()
    return "##\\x5b" if found == "##[" else found[:-1] + "\\x3a"


def escape_controls(text: str) -> str:
    """``text`` with every control character but newline and tab written out visibly (ESC
    becomes the four characters ``\\x1b``, U+202E the six characters ``\\u202e``), and with
    no CI runner log command in it: ``##[`` becomes ``##\\x5b``, and a ``::`` that starts a
    line ``\\x3a:``."""
    if not text.isprintable():  # every character _control() finds is one isprintable refuses
        text = _control().sub(_visible, text)
    if "##[" in text or "::" in text:
        text = _runner_command().sub(_no_command, text)
    return text


def json_safe(document: str) -> str:
    """A JSON document whose raw DEL, C1 and bidi characters are ``\\u`` escapes, and whose
    ``##[`` (a CI runner's log command, wherever it is) is ``##\\u005b``: the same JSON value,
    harmless when the document itself lands on a terminal or in a job's log. (A JSON string
    holds no raw newline, so no line of it starts with a stranger's ``::``.)"""
    if "##[" in document:  # "#" is no JSON outside a string: only strings hold it
        document = document.replace("##[", "##\\u005b")
    if document.isascii() and "\x7f" not in document:  # isascii reads a flag: no scan
        return document
    return _json_raw().sub(lambda m: f"\\u{ord(m.group()):04x}", document)


# Characters that could end a markdown link target early or start markup after it.
@functools.cache
def _link_breakers() -> re.Pattern[str]:
    return re.compile(r"[\s()<>\[\]\"'`\\|]")  # on first use: only markdown makes links


def link_target(url: str) -> str | None:
    """``url`` when it is safe as a markdown link target: an http or https URL that parses,
    names a host and holds nothing that could end the link (whitespace, brackets,
    parentheses, quotes) or act on a terminal; else ``None``."""
    if _link_breakers().search(url) or _control().search(url):
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def markdown_link(label: str, url: str) -> str:
    """``[label](url)``, or just ``label`` when ``url`` is not a safe link target.
    ``label`` must already be escaped for markdown."""
    target = link_target(url)
    return f"[{label}]({target})" if target is not None else label


def _for_display(text: str) -> str:
    return escape_controls(mask_userinfo(text))


def _display_changes(text: str) -> bool:
    """Whether ``_for_display`` would change ``text``, or any line of it (``report.plain``
    tests a report's strings joined as lines): a character ``_control()`` finds, a runner
    command, or a URL's userinfo. Told without the regex scans where it can be: over a whole
    report's text they cost more than the walk they spare."""
    if not text.isprintable():  # isprintable refuses every character _control() finds
        # Newline, tab and no-break space are common, unprintable and no _control() character.
        spaced = text.replace("\n", " ").replace("\t", " ").replace("\xa0", " ")
        if not spaced.isprintable() and _control().search(text):
            return True
    if "##[" in text or ("::" in text and _line_command(text)):
        return True
    return _mask_changes(text)


def _line_command(text: str) -> bool:
    """Whether ``_runner_command()`` finds a line-start "::" in ``text``: some "::" with only
    white space (``\\s`` is ``str.isspace``) between it and its line's start."""
    at = text.find("::")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        if start == at or text[start:at].isspace():
            return True
        at = text.find("::", at + 1)
    return False


def _mask_changes(text: str) -> bool:
    """Whether ``mask_userinfo`` would change ``text``, or any line of it: no userinfo or query
    it masks spans lines, and a text's masking matches those of its lines (long texts are
    masked near each "://", without the regex scan of every word)."""
    return may_hold_credentials(text) and mask_userinfo(text) != text


def shown(value: T) -> T:
    """``value`` (a result: frozen values, dataclasses, tuples, lists, dicts, strings) with
    every string in it masked and its control characters made visible, for text and markdown
    output."""
    return _deep(value, _for_display, _display_changes)


def shown_json(value: T) -> T:
    """``value`` with the userinfo of every URL in its strings masked, for JSON and SARIF
    (``json`` escapes the control characters itself; see also ``json_safe``)."""
    return _deep(value, mask_userinfo, _mask_changes)


def text_renderer(render: Callable[P, str]) -> Callable[P, str]:
    """Decorate a text or markdown renderer: its arguments go through ``shown``, and what it
    returns has its URLs' userinfo masked and no CI runner log command in it."""

    @functools.wraps(render)
    def safe_render(*args: P.args, **kwargs: P.kwargs) -> str:
        cleaned_args: Any = shown(args)
        cleaned_kwargs: Any = shown(kwargs)
        text = mask_userinfo(render(*cleaned_args, **cleaned_kwargs))
        # Cleaning each string is not enough: wrapping a long one for the terminal can start a
        # line with its "::" ("2.0.0 aaaa… ::set-env x=1"). pipvet's own text never starts a
        # line with "::", so the rendered text is checked once more, line by line.
        if "::" in text or "##[" in text:
            text = _runner_command().sub(_no_command, text)
        return text

    return safe_render


def json_renderer(render: Callable[P, str]) -> Callable[P, str]:
    """Decorate a JSON or SARIF renderer: its arguments go through ``shown_json``, and what it
    returns is ``json_safe`` with its URLs' userinfo masked."""

    @functools.wraps(render)
    def safe_render(*args: P.args, **kwargs: P.kwargs) -> str:
        cleaned_args: Any = shown_json(args)
        cleaned_kwargs: Any = shown_json(kwargs)
        return json_safe(mask_userinfo(render(*cleaned_args, **cleaned_kwargs)))

    return safe_render


def _deep(value: T, clean: Callable[[str], str], changes: Callable[[str], bool]) -> T:
    result: Any = _Walk(clean, changes).walk(value)
    return result  # type: ignore[no-any-return]


# Values that hold no string: returned as they are.
_ATOMS: frozenset[type] = frozenset({type(None), bool, int, float})


class _Walk:
    """One cleaning pass over a result. A report holds thousands of values of a few types, so
    each type's way through (its fields) is worked out once per pass, and each distinct string
    is cleaned once. A value none of whose strings changes is returned itself, not a copy."""

    def __init__(self, clean: Callable[[str], str], changes: Callable[[str], bool]) -> None:
        # Imported here: the CLI's error path uses escape_controls without it.
        from pathlib import PurePath

        # A dependency's result is told unchanged without walking it (report.plain), when
        # there can be one: only once the models are loaded.
        self._result_kind: type | None = None
        if "pipvet.models" in sys.modules:
            from pipvet.models import DependencyResult
            from pipvet.report.plain import results_unchanged

            self._result_kind = DependencyResult
            self._unchanged = results_unchanged
        self._changes = changes

        self._clean = clean
        self._path = PurePath
        self._fields: dict[type, tuple[str, ...] | None] = {}
        self._replace: dict[type, Callable[..., Any]] = {}
        # Each distinct string's cleaned value: a report repeats ids, versions and summaries.
        self._cleaned: dict[str, str] = {}

    def text(self, value: str) -> str:
        cleaned = self._cleaned.get(value)
        if cleaned is None:
            cleaned = self._cleaned[value] = self._clean(value)
        return cleaned

    def walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind in _ATOMS or isinstance(value, enum.Enum):
            return value
        if isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return self._clean(value)
        if isinstance(value, self._path):
            text = str(value)
            cleaned = self._clean(text)
            return value if cleaned == text else type(value)(cleaned)
        names = self._fields.get(kind, ())
        if names == ():
            names = self._fields[kind] = self._field_names(kind)
        if names is not None:
            return self._dataclass(value, names)
        return self._container(value)

    def _field_names(self, kind: type) -> tuple[str, ...] | None:
        """The init fields of a frozen class or a dataclass (None for any other type)."""
        if is_frozen(kind):
            self._replace[kind] = replace
            return tuple(f.name for f in fields(kind) if f.init)
        # A dataclass exists only where its module was imported: not imported here for it.
        dc = sys.modules.get("dataclasses")
        if dc is None or not dc.is_dataclass(kind):
            return None
        self._replace[kind] = dc.replace
        return tuple(f.name for f in dc.fields(kind) if f.init)

    def _dataclass(self, value: Any, names: tuple[str, ...]) -> Any:
        changes = {}
        walk, cleaned, text = self.walk, self._cleaned, self.text
        for name in names:
            old = getattr(value, name)
            # walk() inlined for the two commonest fields: a plain string, and nothing.
            if old is None:
                continue
            if type(old) is str:
                new = cleaned.get(old) or text(old)
                if new is not old and new != old:
                    changes[name] = new
                continue
            new = walk(old)
            if new is not old and new != old:
                changes[name] = new
        return self._replace[type(value)](value, **changes) if changes else value

    def _container(self, value: Any) -> Any:
        walk = self.walk
        if isinstance(value, tuple):
            if (
                value
                and type(value[0]) is self._result_kind
                and self._unchanged(value, self._changes)
            ):
                return value  # a report's results, none of which cleaning would change
            items = tuple([walk(v) for v in value])
            if all(map(operator.is_, items, value)):
                return value  # nothing in it changed: no copy
            return type(value)(*items) if hasattr(value, "_fields") else items
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, (set, frozenset)):
            return type(value)(walk(v) for v in value)
        return value  # parsed values (versions, specifiers, dates) hold nothing a stranger wrote
