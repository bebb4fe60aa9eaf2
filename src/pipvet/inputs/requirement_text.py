"""One requirement as pip reads it: a PEP 508 string, a URL or path (with ``#egg=``), an
editable, with the options pip allows on its line; turned into a ``RequirementEntry`` that
keeps where it came from. Pure: nothing here runs a process or fetches anything."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pipvet.errors import InputError
from pipvet.inputs.requirement_plain import (
    MAX_NAME_LENGTH,
    MAX_VERSION_LENGTH,
    Named,
    exact_pin,
    is_plain,
    name_start,
    pinned_version,
    plain_named,
)
from pipvet.inputs.requirements_model import EntryKind, LineProblem, RequirementEntry, pin_entry
from pipvet.models import Location, canonicalize_name
from pipvet.redact import mask_query, mask_userinfo

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    # Imported where a line needs them: packaging's requirement and marker grammar loads
    # dataclasses and inspect, and packaging.utils loads packaging.tags (platform,
    # sysconfig, subprocess, logging); a file of plain pins needs neither.
    from packaging.markers import Marker
    from packaging.requirements import InvalidRequirement, Requirement

__all__ = [
    "entry_from_text",
    "forget_parsed_texts",
    "format_problem",
    "parse_requirement_text",
    "redact",
]


# The patterns are compiled when first used: compiling them was most of this module's import,
# and a file of exact pins needs none of them (see requirement_plain.exact_pin). URL, path and
# VCS requirements are told apart in requirement_urls (with release_files), imported by the
# functions that read a line other than an exact pin: a file of pins never loads them.


@functools.cache
def _comparison_re() -> re.Pattern[str]:
    return re.compile(r"[=!<>~]=|[<>]")


@functools.cache
def _trailing_op_re() -> re.Pattern[str]:
    return re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*(;.*)?$")


def redact(url: str) -> str:
    """Hide credentials in a URL (``https://user:token@host`` -> ``https://***@host``)."""
    return mask_userinfo(url)


def length_problem(text: str, req: Requirement | None = None) -> LineProblem | None:
    """Why ``text`` (or its parsed ``req``) cannot be a requirement because of its size: a
    name over MAX_NAME_LENGTH characters or a version over MAX_VERSION_LENGTH."""
    name = req.name if req is not None else name_start(text).group(1)
    if len(name) > MAX_NAME_LENGTH:
        return LineProblem(
            f"not a valid package name: longer than {MAX_NAME_LENGTH} characters",
            "check the line: no package on an index has such a name",
        )
    for spec in req.specifier if req is not None else ():
        if len(spec.version) > MAX_VERSION_LENGTH:
            return LineProblem(
                f"not a valid version: longer than {MAX_VERSION_LENGTH} characters",
                "check the version after the operator",
            )
    return None


def _invalid_requirement(text: str, exc: InvalidRequirement) -> LineProblem:
    todo = "write it as NAME, NAME>=VERSION or NAME==VERSION; see PEP 508"
    op = _trailing_op_re().search(text)
    if op and not re.search(r"[0-9*]\s*(;.*)?$", text):
        return LineProblem(f"invalid requirement: expected a version after '{op.group(1)}'", todo)
    lines = str(exc).splitlines()
    detail = lines[0] if lines else "not a valid requirement"
    detail = detail[:1].lower() + detail[1:]
    if len(lines) >= 3 and "^" in lines[-1]:
        col = lines[-1].index("^") - (len(lines[-2]) - len(lines[-2].lstrip())) + 1
        detail += f" at column {col}"
    return LineProblem(f"invalid requirement: {detail}", todo)


def plain_entry(
    text: str, location: Location, constraint: bool, end_line: int | None, file: Path
) -> RequirementEntry | None:
    """``entry_from_text`` for a plain line (``is_plain``: a name, with version clauses or
    not, and nothing else) of ``file``, written as it is read; ``None`` for any other line. An
    exact pin (``exact_pin``), most lines of most files, is made here directly."""
    pin = exact_pin(text)
    if pin is not None:
        name, version = pin
        return pin_entry(
            canonicalize_name(name),
            name,
            location,
            text,
            constraint=constraint,
            version=version,
            end_line=end_line,
        )
    if not is_plain(text):
        return None
    return entry_from_text(
        text,
        location,
        text,
        text,
        editable=False,
        constraint=constraint,
        hashes=(),
        end_line=end_line,
        section=None,
        base=file.parent,
    )


def parse_requirement_text(
    text: str,
    location: Location,
    *,
    raw: str | None = None,
    shown: str | None = None,
    editable: bool = False,
    constraint: bool = False,
    hashes: tuple[str, ...] = (),
    end_line: int | None = None,
    section: str | None = None,
) -> RequirementEntry:
    """Classify one requirement string (PEP 508, URL, path or VCS) into an entry.

    ``shown`` is the same requirement before ``${VAR}`` expansion (used in messages and
    reasons); ``raw`` is the whole line as written. Raises ``InputError`` whose single problem
    names the location and the text.
    """
    try:
        return entry_from_text(
            text,
            location,
            raw if raw is not None else text,
            shown if shown is not None else text,
            editable=editable,
            constraint=constraint,
            hashes=hashes,
            end_line=end_line,
            section=section,
        )
    except LineProblem as err:
        problem = format_problem(location, raw if raw is not None else text, err)
        raise InputError(problem, problems=(problem,)) from None


@functools.lru_cache(maxsize=65536)
def _text_shape(text: str, editable: bool) -> tuple[bool, bool]:
    """Whether ``text`` is a URL or path (``path_like``), and a local folder only (not a URL,
    VCS or archive); once per text, as it looks at nothing else. Raises ``LineProblem`` for a
    text too long (not cached)."""
    from pipvet.inputs.release_files import vcs_re
    from pipvet.inputs.requirement_urls import (
        looks_like_url_or_path,
        named_url_re,
        names_archive,
        url_re,
    )

    first = text.split(";", 1)[0].strip().split(" ", 1)[0]
    too_long = length_problem(text)
    if too_long is not None:
        raise too_long
    path_like = not named_url_re().match(text) and looks_like_url_or_path(first)
    folder_only = (  # not a URL, VCS or archive: pip takes it for a local folder, if one
        path_like
        and not editable
        and not url_re().match(first)
        and not vcs_re().match(first)
        and not names_archive(first)
    )
    if folder_only and _comparison_re().search(first):
        # "flask==0.12/", "..==2.19.0", "requests==${HOME}": a name and a version operator,
        # so pip parses it as a requirement (and rejects it), never as a folder.
        path_like = False
    return path_like, folder_only


def entry_from_text(
    text: str,
    location: Location,
    raw: str,
    shown: str,
    *,
    editable: bool,
    constraint: bool,
    hashes: tuple[str, ...],
    end_line: int | None,
    section: str | None,
    base: Path | None = None,
) -> RequirementEntry:
    """``parse_requirement_text`` for the file readers: raises ``LineProblem`` so a reader can
    collect it with the others. ``base`` is the folder of the requirements file, where a
    local folder named by a line may also be found."""
    path_like, folder_only = _text_shape(text, editable)
    if editable or path_like:
        from pipvet.inputs.release_files import release_version, vcs_re
        from pipvet.inputs.requirement_urls import (
            guess_name,
            local_folder_problem,
            origin_reason,
            url_problem,
            url_re,
        )

        if constraint:
            raise LineProblem(
                "URL, path and editable requirements cannot be constraints",
                "pip rejects them in constraints files; move the line to a requirements file",
            )
        # pip separates a marker from a URL by "; " (a URL may itself contain ";")
        sep = "; " if url_re().match(text) or vcs_re().match(text) else ";"
        target, _, marker_text = text.partition(sep)
        target = target.strip()
        marker: Marker | None = None
        if marker_text.strip():
            from packaging.markers import InvalidMarker, Marker

            try:
                marker = Marker(marker_text.strip())
            except InvalidMarker as exc:
                first_line = str(exc).splitlines()[0]
                raise LineProblem(
                    f"invalid environment marker: {first_line}",
                    'write it like: ; python_version >= "3.10"',
                ) from exc
        if folder_only and (problem := local_folder_problem(target, base)) is not None:
            raise problem
        if (problem := url_problem(target, named=False)) is not None:
            raise problem
        shown_target = shown.partition(sep)[0].strip() or target
        from packaging.specifiers import SpecifierSet

        name, label = guess_name(target)
        version = release_version(name, None if editable else target)
        return RequirementEntry(
            name=name,
            display_name=label,
            specifier=SpecifierSet(),
            extras=(),
            marker=marker,
            location=location,
            raw=raw,
            kind="editable" if editable else "url",
            hashes=hashes,
            pinned_version=version,
            url=mask_query(shown_target),
            reason=origin_reason(shown_target, editable=editable, version=version),
            end_line=end_line,
            section=section,
        )
    req = _named(text)
    if req.url:
        from pipvet.inputs.release_files import release_version
        from pipvet.inputs.requirement_urls import origin_reason, shown_url

        if constraint:
            raise LineProblem(
                "direct URL requirements cannot be constraints",
                "pip would fetch (and, for a source archive, build) the file a constraint names; "
                "move the line to a requirements file",
            )
        version = release_version(req.name, req.url)
        return RequirementEntry(
            name=req.name,
            display_name=req.display_name,
            specifier=req.specifier,
            extras=req.extras,
            marker=req.marker,
            location=location,
            raw=raw,
            kind="url",
            hashes=hashes,
            pinned_version=version,
            url=mask_query(shown_url(shown, req.url)),
            reason=origin_reason(shown_url(shown, req.url), editable=False, version=version),
            end_line=end_line,
            section=section,
        )
    kind: EntryKind = "constraint" if constraint else ("pinned" if req.pinned else "unpinned")
    return RequirementEntry(
        name=req.name,
        display_name=req.display_name,
        specifier=req.specifier,
        extras=req.extras,
        marker=req.marker,
        location=location,
        raw=raw,
        kind=kind,
        hashes=hashes,
        pinned_version=req.pinned,
        end_line=end_line,
        section=section,
    )


@functools.lru_cache(maxsize=65536)
def _named(text: str) -> Named:
    """A ``name[extras] spec ; marker`` or ``name @ URL`` requirement, parsed once per text: a
    fleet or a big project repeats the same lines in many files, and the same text always
    parses the same way (nothing here looks at files). Raises ``LineProblem`` (not cached)."""
    from pipvet.inputs.requirement_urls import named_url_marker_problem, url_problem

    if (problem := named_url_marker_problem(text)) is not None:
        raise problem
    plain = plain_named(text)
    if plain is not None:
        return plain
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise _invalid_requirement(text, exc) from exc
    too_long = length_problem(text, req)
    if too_long is not None:
        raise too_long
    if req.url and (problem := url_problem(req.url, named=True)) is not None:
        raise problem
    return Named(
        canonicalize_name(req.name),
        req.name,
        req.specifier,
        tuple(sorted(req.extras)),
        req.marker,
        req.url or None,
        None if req.url else pinned_version(req.specifier),
    )


def format_problem(location: Location, raw: str, err: LineProblem, *, width: int = 120) -> str:
    """``FILE:LINE: 'TEXT' — what is wrong (what to do)``, the one shape of every problem;
    ``TEXT`` is cut to ``width`` characters."""
    shown = raw if len(raw) <= width else raw[: width - 3] + "..."
    return f"{location}: '{shown}' — {err.what} ({err.todo})"


def forget_parsed_texts() -> None:
    """Empty the parsed-text caches (a fleet reuses lines; one audit's 20,000 pins: 12 MB)."""
    _text_shape.cache_clear()
    _named.cache_clear()
