"""What a user asks ``pipvet vet`` to vet: ``NAME[EXTRAS]SPEC`` read into a ``VetRequest``."""

from __future__ import annotations

from pipvet.errors import UsageError
from pipvet.frozen import frozen
from pipvet.models import MAX_VERSION_LENGTH, NormalizedName, canonicalize_name
from pipvet.vetting import clauses, requires

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

__all__ = ["VetRequest", "parse_request"]


@frozen
class VetRequest:
    """One package to vet, as the user asked for it."""

    requested: str
    name: NormalizedName
    # A SpecifierSet, or the text of clauses pipvet.vetting.clauses reads ("": any version).
    specifier: SpecifierSet | str = ""
    extras: frozenset[str] = frozenset()
    problem: str | None = None  # set when the request itself cannot be vetted (a URL, ...)


def parse_request(text: str) -> VetRequest:
    """``NAME[EXTRAS]SPEC`` as typed on the command line; UsageError when it is not one.
    A name or version too long to be real is refused before any work is done on it."""
    found = requires.read(text) if len(text) <= MAX_VERSION_LENGTH else None
    if found is not None and found[4] is None:
        # Read here, as packaging reads it; a text this short has no name or version over the
        # length caps. A marker, or clauses SpecifierSet refuses, go the long way.
        if clauses.read(found[3]) is not None:
            return VetRequest(text, found[1], found[3], found[2])
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return VetRequest(text, found[1], SpecifierSet(found[3]), found[2])
        except InvalidSpecifier:
            pass
    shown = text if len(text) <= 80 else text[:80] + "..."
    hint = "write NAME, NAME==VERSION or NAME[EXTRA]>=VERSION (quote it in the shell)"
    # Imported here: the requirement-file readers it comes with are no import the requests
    # read above need (about 3.5M instructions of a warm vet).
    from packaging.requirements import InvalidRequirement, Requirement

    from pipvet.inputs.requirement_text import length_problem

    problem = length_problem(text)

    try:
        req = Requirement(text) if problem is None else None
    except InvalidRequirement as exc:
        raise UsageError(
            f"'{shown}' is not a package name or requirement: {exc}", hint=hint
        ) from None
    problem = problem or length_problem(text, req)
    if problem is not None or req is None:
        reason = problem.what if problem is not None else "not a requirement"
        raise UsageError(f"'{shown}' is {reason}", hint=hint)
    if req.url:
        raise UsageError(
            f"'{text}' names a URL, not a package on the index: pipvet vets index packages",
            hint="vet the package by its name instead",
        )
    return VetRequest(text, canonicalize_name(req.name), req.specifier, frozenset(req.extras))
