"""The typosquat detector's values: the techniques, the rules behind every decision, a result.

Pure (frozen value classes and type aliases; no I/O and no I/O imports). ``TyposquatRules`` holds
the thresholds that both building the index (``typosquat_build``: which names are targets,
which keys get deletions) and checking a name (``typosquat``) apply; ``TyposquatResult`` is
what a check reports, read by the vetting signals and the renderers.
"""

from __future__ import annotations

from collections.abc import Callable

from pipvet.frozen import frozen
from pipvet.models import NormalizedName

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = [
    "Kind",
    "OwnersOf",
    "Technique",
    "TyposquatResult",
    "TyposquatRules",
]


Technique: TypeAlias = (
    'Literal["homoglyph", "transposition", "separator", "word-order", '
    '"repeated-letter", "prefix-suffix", "version-digits", "deletion", "insertion", '
    '"substitution", "two-edits", "import-name", "stdlib-shadowing"]'
)
Kind: TypeAlias = 'Literal["typosquat", "import-name", "stdlib"]'
OwnersOf: TypeAlias = Callable[[str], frozenset[str]]


@frozen
class TyposquatRules:
    """Thresholds behind every decision; the defaults are what ``pipvet vet`` uses.

    The weaker the evidence a technique gives, the more popular its target must be: squatters
    go after the names everybody installs, while two unrelated projects a letter apart are
    common further down the list. Ranks count from 1 (the most downloaded project).
    """

    # look-alike characters, swapped letters and doubled letters
    strong_tier: int = 5_000
    # separator games, word order, one letter added or left out
    medium_tier: int = 1_000
    # one letter changed, prefix/suffix games, version digits, two edits
    weak_tier: int = 300
    # an added, missing or changed *first* letter: people rarely mistype it
    first_letter_tier: int = 100
    # one letter changed to a key next to it, or one vowel for another, is a likelier slip
    # than any other changed letter and counts against the medium tier; in names this short
    # (and at the first letter) no other changed letter counts at all
    slip_only_length: int = 5
    popular_tier: int = 5_000  # a candidate ranked this high is itself popular
    min_ratio: float = 100.0  # target downloads / candidate downloads, candidate listed
    extreme_ratio: float = 1_000.0  # the same, when the candidate is itself popular
    short_name: int = 4  # names this short only count for swaps and look-alikes
    # ... and a swap in a name this short only against a target this popular: three or four
    # letters in another order are as often another acronym ("llm" and "lml") as a typo
    short_tier: int = 1_000
    # two edits only count when both names are this long, the popular one is a single word
    # and the first ``kept_start`` letters agree; against the weak tier from
    # ``long_two_edits`` letters on, below that only against ``short_two_edit_tier``
    two_edit_length: int = 8
    long_two_edits: int = 10
    short_two_edit_tier: int = 100
    # people rarely slip at the start of a name: two edits or a moved block of letters
    # ("matlibplot") only count when the names agree in this many leading letters
    kept_start: int = 3
    move_length: int = 8  # a block of letters moved counts in names this long
    # an import name whose own project has at least 1/10 of the distribution's downloads is
    # in real use under that name: a note, not a block ("sklearn", 1/83, stays a block)
    import_name_ratio: float = 10.0
    family_size: int = 3  # leading words shared by this many popular names make a family

    @property
    def target_tier(self) -> int:
        """No target ranks below this; the index holds keys for these names only."""
        return max(self.strong_tier, self.medium_tier, self.weak_tier, self.first_letter_tier)

    def tier(self, technique: Technique, letters: int | None = None) -> int:
        """The lowest rank a target may have for this technique to count; ``letters`` is the
        length of the shorter of the two names without separators, when known."""
        if letters is not None:
            if letters <= self.short_name and technique == "transposition":
                return min(self.strong_tier, self.short_tier)
            if technique == "two-edits" and letters < self.long_two_edits:
                return min(self.weak_tier, self.short_two_edit_tier)
        if technique in ("homoglyph", "transposition", "repeated-letter"):
            return self.strong_tier
        if technique in ("separator", "word-order", "insertion", "deletion"):
            return self.medium_tier
        return self.weak_tier


@frozen
class TyposquatResult:
    """Why ``name`` looks like a mistake for ``target``.

    ``kind`` is "typosquat" (a near miss of a popular name), "import-name" (the name is what
    you import, not what you install) or "stdlib" (the name shadows a standard-library module;
    ``target`` is then the module). ``level`` is the suggested signal level: "avoid" for
    squats and import names, "review" for standard-library shadowing, for squats by a
    project on the popularity list (look-alike characters aside) and for import names whose
    project shares an owner with the distribution or is itself in real use. ``detail`` says
    exactly what differs; ``message`` says it all in plain words for the user.
    """

    name: NormalizedName
    kind: Kind
    technique: Technique
    target: str
    level: Literal["avoid", "review"]
    detail: str
    message: str
    target_rank: int | None = None
    target_downloads: int | None = None
    candidate_rank: int | None = None
    candidate_downloads: int | None = None

    @property
    def did_you_mean(self) -> str | None:
        """The distribution the user probably wanted (None for standard-library shadowing)."""
        return None if self.kind == "stdlib" else self.target
