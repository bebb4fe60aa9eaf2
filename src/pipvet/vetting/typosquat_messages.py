"""How a typosquat finding reads: one ``TyposquatResult`` per kind, its message included.

Pure (no I/O). The index (``pipvet.vetting.typosquat``) decides what a name is a mistake for
and how sure it is (an established project, a sibling, an import name in real use); these
functions put those facts into a result: the technique in plain words, both popularity
figures, the level that follows, and "did you mean X?".
"""

from __future__ import annotations

import sys

from pipvet.models import NormalizedName
from pipvet.vetting.typosquat_model import Technique, TyposquatResult

__all__ = ["import_name_result", "squat_result", "stdlib_result"]

_WORDS: dict[str, str] = {
    "homoglyph": "look-alike characters",
    "transposition": "swapped letters",
    "separator": "separator game",
    "word-order": "word order",
    "repeated-letter": "repeated letter",
    "prefix-suffix": "prefix or suffix game",
    "version-digits": "version digits",
    "deletion": "missing letter",
    "insertion": "extra letter",
    "substitution": "changed letter",
    "two-edits": "two changed letters",
}


def squat_result(
    shown: str,
    candidate: NormalizedName,
    technique: Technique,
    detail: str,
    *,
    target: str,
    target_rank: int,
    target_downloads: int,
    rank: int | None,
    downloads: int | None,
    listed: int,
    established: bool,
) -> TyposquatResult:
    """A near miss of ``target``; ``established`` (a listed project) makes it "review"."""
    if rank is None:
        own = f"{shown!r} is not among the {listed:,} most downloaded projects"
        why = (
            "Names like this are registered to catch typos, and installing one runs its "
            "code with your permissions."
        )
    else:
        own = f"{shown!r} ranks {rank:,} with {downloads:,}"
        why = (
            "It is popular enough to be a project of its own, but make sure it is the one "
            "you meant."
            if established
            else "Installing a look-alike runs its code with your permissions."
        )
    message = (
        f"{shown!r} looks like a mistyped {target!r} ({_WORDS[technique]}: "
        f"{detail}). {target!r} ranks {target_rank:,} with {target_downloads:,} "
        f"downloads a month; {own}. {why} Did you mean {target}?"
    )
    return TyposquatResult(
        name=candidate,
        kind="typosquat",
        technique=technique,
        target=target,
        level="review" if established else "avoid",
        detail=detail,
        message=message,
        target_rank=target_rank,
        target_downloads=target_downloads,
        candidate_rank=rank,
        candidate_downloads=downloads,
    )


def import_name_result(
    shown: str,
    candidate: NormalizedName,
    distribution: str,
    *,
    rank: int | None,
    downloads: int | None,
    target_rank: int | None,
    target_downloads: int | None,
    sibling: bool,
    in_use: bool,
) -> TyposquatResult:
    """``shown`` is an import name of ``distribution``; a sibling or one in use is "review"."""
    if sibling:
        what = f"the project {shown!r} shares an owner with it and may only point to it"
    elif in_use:
        what = (
            f"a project named {shown!r} is popular too (rank {rank:,}), so make sure it "
            "is the one you meant"
        )
    elif rank is None:
        what = f"a project named {shown!r}, if there is one, is not it"
    else:
        what = f"the project named {shown!r} is not it (at best a placeholder)"
    message = (
        f"{shown!r} is the name you import, but the package that provides it is "
        f"{distribution!r}; {what}. Did you mean {distribution}?"
    )
    return TyposquatResult(
        name=candidate,
        kind="import-name",
        technique="import-name",
        target=distribution,
        level="review" if sibling or in_use else "avoid",
        detail=f"the import name of {distribution!r}",
        message=message,
        target_rank=target_rank,
        target_downloads=target_downloads,
        candidate_rank=rank,
        candidate_downloads=downloads,
    )


def stdlib_result(
    shown: str, candidate: NormalizedName, *, rank: int | None, downloads: int | None
) -> TyposquatResult:
    """``shown`` shadows a standard-library module of the running Python: always "review"."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    message = (
        f"{shown!r} shadows the standard-library module {candidate!r} of Python {version}; "
        "you probably don't need to install it (such projects are mostly old backports, "
        "and an installed copy can hide the real module)."
    )
    return TyposquatResult(
        name=candidate,
        kind="stdlib",
        technique="stdlib-shadowing",
        target=candidate,
        level="review",
        detail=f"the name of the standard-library module {candidate!r}",
        message=message,
        candidate_rank=rank,
        candidate_downloads=downloads,
    )
