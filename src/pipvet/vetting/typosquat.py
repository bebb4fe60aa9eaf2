"""Is this name a near miss of a much more popular package?

``TyposquatIndex.build`` takes the popularity list once and precomputes every key a lookup
needs: the popular names, their one-letter deletions (so an insertion, deletion, substitution
or swap is a handful of dictionary probes, not thousands of edit-distance computations),
separator-free and homoglyph-folded spellings, sorted word sets, names without their
``python-``/``-py`` style affixes, names without trailing version digits, and import names.
``index.check(name)`` then answers in tens of microseconds with the suspected target, the
technique, both popularity figures and a message ending in "did you mean X?".

False alarms are kept rare by rules, not by lists of exceptions (``TyposquatRules``):

- the weaker the evidence, the more popular the target must be: a look-alike character or a
  swapped pair of letters counts against any of the top 5,000 names, a changed letter that a
  slip explains (a neighbouring key, one vowel for another) against the top 1,000, any other
  changed letter only against the top 300, a changed *first* letter only against the top 100;
- a changed letter no slip explains does not count at the start of a name or in a name of
  five letters or fewer, nor does a letter put in front ("grequests", "ipytest": that is how
  derived projects are named), nor the first two letters of a short name swapped unless the
  target is in the top 100;
- a candidate on the popularity list must be far less popular than its target (100 times),
  and a candidate that is itself popular (top 5,000) only counts when the gap is extreme;
  even then a listed candidate is in real use and gets a "review" note, not "avoid" (except
  for look-alike characters);
- short names (4 letters or fewer) only count for swaps and look-alikes, swaps only against
  the top 1,000; a doubled first letter counts like an added one;
- two edits (Damerau: a swap is one) only count for single-word names of 8 letters or more
  whose first three letters are kept, against the top 100 (the top 300 from 10 letters); a
  block of letters moved inside a name ("matlibplot") counts when the first three are kept;
- a changed word that other popular names use ("identity" vs "identify"), or a short word
  after the shared leading words of a family (``types-boto3-sns`` vs ``types-boto3-s3``),
  is taken as deliberate, not as a typo (plural/singular games still count);
- the caller can pass ``owners_of``: a package sharing an owner with its target is a sibling.

Two more findings share the machinery: a name that is the *import* name of a distribution
(``sklearn`` -> ``scikit-learn``; "review" when the project of that name has at least a
tenth of the distribution's downloads), and a name that shadows a standard-library module
(``asyncio``, ``dataclasses``: backports you probably do not need).

Pure (no I/O). This module looks names up and applies the rules; beside it,
``typosquat_build`` builds the lookup tables, ``typosquat_model`` holds the values
(``TyposquatRules``, ``TyposquatResult``) and ``typosquat_messages`` words a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from pipvet.frozen import frozen
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.vetting.import_names import IMPORT_NAME_TO_DISTRIBUTION
from pipvet.vetting.nearmiss import (
    CONFUSABLE_WITH,
    Edit,
    affix_cores,
    classify_edit,
    homoglyph_fold,
    moved_blocks,
)
from pipvet.vetting.typosquat_build import (
    DIGITS,
    POSITION_BITS,
    VIA_BASE,
    VIA_IMPORT,
    VIA_NAME,
    NameKeys,
    kept_start_deletions,
    rank_popular,
    stdlib_names,
)
from pipvet.vetting.typosquat_messages import import_name_result, squat_result, stdlib_result
from pipvet.vetting.typosquat_model import (
    OwnersOf,
    Technique,
    TyposquatResult,
    TyposquatRules,
)
from pipvet.vetting.typosquat_tables import BrokenTables, KeyTables

__all__ = ["TyposquatIndex"]

# Most specific explanation first: when a name is a near miss of several popular names, the
# strongest technique wins, then the most popular target.
_STRENGTH: dict[str, int] = {
    "homoglyph": 0,
    "transposition": 1,
    "separator": 2,
    "word-order": 3,
    "repeated-letter": 4,
    "prefix-suffix": 5,
    "version-digits": 6,
    "deletion": 7,
    "insertion": 8,
    "substitution": 9,
    "two-edits": 10,
}
# Evidence specific enough that a near miss inside a family of names still counts.
_STRONG = frozenset(("homoglyph", "transposition", "repeated-letter", "separator"))

_FAMILY_WORD = 4  # in a family, a changed word this short is taken as a sibling's name


@frozen
class _Hit:
    target: int  # position in the ranked names (0 = most downloaded)
    technique: Technique
    detail: str
    edit: Edit | None = None  # for letter edits measured against the target's own name
    drops_digits: bool = False  # measured against the target's name minus version digits


class TyposquatIndex:
    """Popular names prepared for fast near-miss lookups. Build once, check many.

    Building from the full 15,000-name list takes a few tens of milliseconds; ``tables=`` takes
    the tables stored in the cache instead (``typosquat_cache``). Most of a build is the
    one-letter deletions of every key; they are kept only for targets popular enough for a
    deletion, substitution or two-edit finding to count (``_deletes_tier``). Below that only
    swapped letters and look-alike characters count, and those are found by probing the few
    swaps and look-alike spellings of the checked name instead.
    """

    def __init__(
        self,
        names: Sequence[NormalizedName],
        downloads: Sequence[int],
        rules: TyposquatRules,
        *,
        tables: KeyTables | None = None,
        ranks: Mapping[str, int] | None = None,
    ) -> None:
        self.rules = rules
        self._names = tuple(names)
        self._downloads = tuple(downloads)
        # Rank (1 = first) by name: the popularity snapshot's own map of these names if given.
        self._ranks = ranks or dict(zip(self._names, range(1, len(names) + 1), strict=True))
        # Keys of targets ranked below this get no deletions (see the class docstring).
        self._deletes_tier = max(rules.tier(t) for t in ("deletion", "substitution", "two-edits"))
        self._table: KeyTables = self._build() if tables is None else tables

    @classmethod
    def build(
        cls, popular: Iterable[tuple[str, int]], *, rules: TyposquatRules | None = None
    ) -> TyposquatIndex:
        """Index ``(name, downloads)`` pairs, in any order: they are ranked here by downloads.

        Names are canonicalised; a name given twice keeps its larger count. Pass every listed
        name, not only the targets: names below the target tier still carry the popularity
        figures of the candidates being checked.
        """
        names, downloads = rank_popular(popular)
        return cls(names, downloads, rules or TyposquatRules())

    @property
    def tables(self) -> KeyTables:
        """The lookup tables: built here, or the stored ones ``tables=`` gave."""
        return self._table

    def __len__(self) -> int:
        return len(self._names)

    def _build(self) -> NameKeys:  # the tables (typosquat_build) for the targets of this list
        positions = dict(zip(self._names, range(len(self._names)), strict=True))
        return NameKeys(self._names, positions, self.rules, deletes_tier=self._deletes_tier)

    def _position(self, name: str) -> int | None:  # in the ranked names; 0 = most downloaded
        return None if (rank := self._ranks.get(name)) is None else rank - 1

    # ------------------------------------------------------------------ checking

    def check(self, name: str, *, owners_of: OwnersOf | None = None) -> TyposquatResult | None:
        """The most likely mistake behind ``name``, or None when it looks like itself.

        ``owners_of(project)`` may return the accounts (users or an organisation) owning a
        project. A near miss that shares an owner with its target is a sibling and not
        reported; an import name that does is reported at "review" level.
        """
        try:
            return self._check(name, owners_of)
        except BrokenTables:  # stored tables that do not hold what they claim: build them
            self._table = self._build()
            return self._check(name, owners_of)

    def _check(self, name: str, owners_of: OwnersOf | None) -> TyposquatResult | None:
        shown = name.strip()
        candidate = canonicalize_name(shown)
        position = self._position(candidate)

        distribution = IMPORT_NAME_TO_DISTRIBUTION.get(candidate)
        if distribution is not None:
            return self._import_name_result(shown, candidate, position, distribution, owners_of)

        # Each target is judged on the strongest explanation found for it: a name that is
        # "elasticsearch" plus version digits is not also judged as a one-letter insertion.
        strongest: dict[int, _Hit] = {}
        for hit in self._hits(candidate):
            known = strongest.get(hit.target)
            if known is None or _STRENGTH[hit.technique] < _STRENGTH[known.technique]:
                strongest[hit.target] = hit
        if position is not None:
            strongest.pop(position, None)
        hits = sorted(strongest.values(), key=lambda h: (_STRENGTH[h.technique], h.target))
        for hit in hits:
            if self._is_squat(candidate, position, hit, owners_of):
                return self._squat_result(shown, candidate, position, hit)

        if candidate in stdlib_names():
            rank, downloads = self._popularity(position)
            return stdlib_result(shown, candidate, rank=rank, downloads=downloads)
        return None

    def _hits(self, candidate: str) -> Iterator[_Hit]:
        stripped = candidate.replace("-", "")
        for target in self._table.stripped.get(stripped, ()):
            yield _Hit(target, "separator", "differs only in '-', '_' or '.' separators")
        for target in self._table.folded.get(homoglyph_fold(candidate), ()):
            if self._names[target].replace("-", "") != stripped:
                detail = f"reads like {self._names[target]!r} (l/1/i, o/0, rn/m, vv/w, cl/d)"
                yield _Hit(target, "homoglyph", detail)
        words = candidate.split("-")
        if len(words) > 1:
            for target in self._table.word_sets.get("-".join(sorted(words)), ()):
                yield _Hit(target, "word-order", "the same words in another order")
        yield from self._affix_hits(candidate)
        yield from self._edit_hits(candidate)

    def _affix_hits(self, candidate: str) -> Iterator[_Hit]:
        # Sorted: a set's order follows the hash seed, and the first hit names the finding.
        for core in sorted(affix_cores(candidate, bare=True)):
            for key_id in self._table.key_ids.get(core, ()):
                _, target, via = self._table.keys[key_id]
                if via == VIA_NAME:
                    yield _Hit(target, "prefix-suffix", f"{core!r} with a prefix or suffix added")
            for target in self._table.cores.get(core, ()):
                detail = f"the same name as {self._names[target]!r} with another prefix or suffix"
                yield _Hit(target, "prefix-suffix", detail)
        base = candidate.rstrip(DIGITS)
        if base != candidate:
            for key_id in self._table.key_ids.get(base, ()):
                _, target, via = self._table.keys[key_id]
                if via == VIA_NAME:
                    digits = candidate[len(base) :]
                    yield _Hit(target, "version-digits", f"the digits {digits!r} added")

    def _edit_hits(self, candidate: str) -> Iterator[_Hit]:
        seen: set[int] = set()
        length = len(candidate)
        key_ids, deletes = self._table.key_ids, self._table.deletes
        for i in range(-1, length):
            probe = candidate if i < 0 else candidate[:i] + candidate[i + 1 :]
            seen.update(key_ids.get(probe, ()))
            seen.update(code >> POSITION_BITS for code in deletes.get(probe, ()))
        # Keys without deletions: a swap of two neighbours or one look-alike character.
        for i in range(length - 1):
            a, b = candidate[i], candidate[i + 1]
            if a != b:
                seen.update(key_ids.get(candidate[:i] + b + a + candidate[i + 2 :], ()))
        for i, letter in enumerate(candidate):
            for other in CONFUSABLE_WITH.get(letter, ""):
                seen.update(key_ids.get(candidate[:i] + other + candidate[i + 1 :], ()))
        if length >= self.rules.two_edit_length:
            self._two_edit_probes(candidate, seen)
        moved: set[int] = set()
        if length - candidate.count("-") >= self.rules.move_length and self._table.letter_sets:
            letters = "".join(sorted(candidate.replace("-", "")))
            moved.update(self._table.letter_sets.get(letters, ()))
            for key_id in sorted(moved):
                key, target, via = self._table.keys[key_id]
                blocks = moved_blocks(candidate, key) if via != VIA_IMPORT else None
                kept = self.rules.kept_start
                if blocks is not None and candidate[:kept] == key[:kept]:
                    detail = f"{blocks[0]!r} and {blocks[1]!r} in the other order"
                    yield _Hit(target, "word-order", detail, drops_digits=via == VIA_BASE)
        for key_id in sorted(seen):  # index order: ties between keys always resolve alike
            key, target, via = self._table.keys[key_id]
            if key == candidate:
                if via == VIA_BASE:
                    dropped = self._names[target][len(key) :]
                    yield _Hit(
                        target, "version-digits", f"the digits {dropped!r} left out", None, True
                    )
                continue
            edit = classify_edit(candidate, key, two_edit_length=self.rules.two_edit_length)
            if edit is None:
                continue
            if via == VIA_BASE:
                detail = (
                    f"{edit.detail}, and the digits {self._names[target][len(key) :]!r} left out"
                )
                yield _Hit(target, edit.kind, detail, edit, drops_digits=True)
            elif via == VIA_IMPORT:
                detail = f"{edit.detail} in {key!r}, the import name of {self._names[target]!r}"
                yield _Hit(target, edit.kind, detail)
            else:
                yield _Hit(target, edit.kind, edit.detail, edit)

    def _two_edit_probes(self, candidate: str, seen: set[int]) -> None:
        """Add the keys two edits away from ``candidate`` after its first letters: two names
        two edits apart share a spelling with at most two letters taken from each (symmetric
        deletion), so a few dozen probes find them without measuring any distance."""
        if len(candidate) > self._table.near2_longest + 2:
            return
        near2 = self._table.near2
        for variant in kept_start_deletions(candidate, self.rules.kept_start):
            seen.update(near2.get(variant, ()))

    # ------------------------------------------------------------------ rules

    def _is_squat(
        self, candidate: str, position: int | None, hit: _Hit, owners_of: OwnersOf | None
    ) -> bool:
        rules = self.rules
        target_name = self._names[hit.target]
        shortest = min(len(candidate.replace("-", "")), len(target_name.replace("-", "")))
        if hit.target >= self._required_tier(hit, shortest):
            return False
        if position is not None:
            ratio = self._downloads[hit.target] / max(self._downloads[position], 1)
            needed = rules.extreme_ratio if position < rules.popular_tier else rules.min_ratio
            if ratio < needed:
                return False
        if hit.technique == "two-edits":
            kept = rules.kept_start
            if candidate[:kept] != target_name[:kept] or "-" in target_name:
                return False
        if shortest < 3:
            return False
        if shortest <= rules.short_name and hit.technique not in ("homoglyph", "transposition"):
            return False
        if not self._plausible_start(hit, shortest):
            return False
        if (
            hit.edit is not None
            and hit.technique not in _STRONG
            and self._looks_deliberate(candidate, target_name, hit.edit)
        ):
            return False
        return not (owners_of is not None and owners_of(candidate) & owners_of(target_name))

    def _plausible_start(self, hit: _Hit, letters: int) -> bool:
        """Edits that make another name more often than they make a mistake: a letter put in
        front ("grequests", "ipytest": how derived projects are named), the first two letters
        swapped, and a changed letter that no finger slip explains at the start of a name or
        anywhere in a short one ("xoto3", "scipp")."""
        edit = hit.edit
        if edit is None:
            return True
        if edit.at == 0 and edit.kind == "insertion":
            return False
        if edit.kind == "substitution" and not edit.slip:
            return edit.at != 0 and letters > self.rules.slip_only_length
        return True

    def _required_tier(self, hit: _Hit, letters: int) -> int:
        """How high the target must rank for this evidence (a bound on its 0-based rank)."""
        rules = self.rules
        tier = rules.tier(hit.technique, letters)
        if hit.technique == "substitution" and hit.edit is not None and hit.edit.slip:
            tier = max(tier, rules.medium_tier)
        if hit.drops_digits:
            tier = min(tier, rules.tier("version-digits"))
        first_letter = hit.edit is not None and hit.edit.at == 0
        # A doubled first letter ("cchardet") is as rare a slip as an added one.
        edits = ("insertion", "deletion", "substitution", "repeated-letter")
        # In a name of a few letters, the first two swapped are as often another acronym.
        short_swap = hit.technique == "transposition" and letters <= rules.short_name
        if first_letter and (hit.technique in edits or short_swap):
            tier = min(tier, rules.first_letter_tier)
        return tier

    def _looks_deliberate(self, candidate: str, target: str, edit: Edit) -> bool:
        """True when the changed word reads as chosen rather than mistyped.

        A plural or singular of the target's word is a classic squat, never deliberate. A
        word that other listed names use is ("identity" next to "identify"), and so is a short
        word after the leading words a family of popular names share ("types-boto3-sns").
        """
        word, target_word = edit.word, edit.target_word
        if word + "s" == target_word or target_word + "s" == word:
            return False
        uses = self._table.word_counts().get(word, 0)
        if candidate in self._ranks and word in candidate.split("-"):
            uses -= 1  # the candidate's own listing does not make its word a known word
        if uses > 0 and word not in target.split("-"):
            return True
        if len(word) > _FAMILY_WORD:
            return False
        words = target.split("-")
        for cut in range(len(words) - 1, 0, -1):
            prefix = "-".join(words[:cut]) + "-"
            if edit.at >= len(prefix) and prefix in self._table.families:
                return candidate.startswith(prefix)
        return False

    # ------------------------------------------------------------------ results

    def _popularity(self, position: int | None) -> tuple[int | None, int | None]:
        if position is None:
            return None, None
        return position + 1, self._downloads[position]

    def _squat_result(
        self, shown: str, candidate: NormalizedName, position: int | None, hit: _Hit
    ) -> TyposquatResult:
        rank, downloads = self._popularity(position)
        # A project on the popularity list is used by many on purpose: a squat that collects
        # that many downloads is rare and short-lived. It is flagged for a second look, not
        # blocked, except for look-alike characters, which nobody picks for a name of their own.
        established = rank is not None and hit.technique != "homoglyph"
        return squat_result(
            shown,
            candidate,
            hit.technique,
            hit.detail,
            target=self._names[hit.target],
            target_rank=hit.target + 1,
            target_downloads=self._downloads[hit.target],
            rank=rank,
            downloads=downloads,
            listed=len(self._names),
            established=established,
        )

    def _import_name_result(
        self,
        shown: str,
        candidate: NormalizedName,
        position: int | None,
        distribution: str,
        owners_of: OwnersOf | None,
    ) -> TyposquatResult:
        rank, downloads = self._popularity(position)
        target_rank, target_downloads = self._popularity(self._position(distribution))
        sibling = owners_of is not None and bool(owners_of(candidate) & owners_of(distribution))
        in_use = (
            downloads is not None
            and (target_downloads or 0) < self.rules.import_name_ratio * downloads
        )
        return import_name_result(
            shown,
            candidate,
            distribution,
            rank=rank,
            downloads=downloads,
            target_rank=target_rank,
            target_downloads=target_downloads,
            sibling=sibling,
            in_use=in_use,
        )
