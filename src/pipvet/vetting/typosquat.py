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
  swapped pair of letters counts against any of the top 5,000 names, a changed letter only
  against the top 300, a changed *first* letter only against the top 100;
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
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast

from packaging.utils import NormalizedName, canonicalize_name

from pipvet.vetting.import_names import IMPORT_NAME_TO_DISTRIBUTION
from pipvet.vetting.nearmiss import (
    CONFUSABLE_WITH,
    PREFIXES,
    Edit,
    affix_cores,
    classify_edit,
    homoglyph_fold,
    homoglyph_fold_all,
    moved_blocks,
)

__all__ = [
    "Kind",
    "OwnersOf",
    "Technique",
    "TyposquatIndex",
    "TyposquatResult",
    "TyposquatRules",
]

Technique: TypeAlias = Literal[
    "homoglyph",
    "transposition",
    "separator",
    "word-order",
    "repeated-letter",
    "prefix-suffix",
    "version-digits",
    "deletion",
    "insertion",
    "substitution",
    "two-edits",
    "import-name",
    "stdlib-shadowing",
]
Kind: TypeAlias = Literal["typosquat", "import-name", "stdlib"]
OwnersOf: TypeAlias = Callable[[str], frozenset[str]]

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

# What a key stands for: a popular name, a popular name without its trailing version digits
# ("beautifulsoup" for "beautifulsoup4"), or an import name of a popular distribution.
_NAME, _BASE, _IMPORT = 0, 1, 2
_DIGITS = "0123456789"
_POSITION_BITS = 8  # deletion positions are packed into the low bits of a key code
_FAMILY_WORD = 4  # in a family, a changed word this short is taken as a sibling's name


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class _Hit:
    target: int  # position in the ranked names (0 = most downloaded)
    technique: Technique
    detail: str
    edit: Edit | None = None  # for letter edits measured against the target's own name
    drops_digits: bool = False  # measured against the target's name minus version digits


class TyposquatIndex:
    """Popular names prepared for fast near-miss lookups. Build once, check many.

    Building from the full 15,000-name list takes a few tens of milliseconds, so the index is
    rebuilt from the cached popularity data rather than serialised. Most of a build is the
    one-letter deletions of every key; they are kept only for targets popular enough for a
    deletion, substitution or two-edit finding to count (``_deletes_tier``). Below that only
    swapped letters and look-alike characters count, and those are found by probing the few
    swaps and look-alike spellings of the checked name instead.
    """

    def __init__(
        self, names: Sequence[NormalizedName], downloads: Sequence[int], rules: TyposquatRules
    ) -> None:
        self.rules = rules
        self._names = tuple(names)
        self._downloads = tuple(downloads)
        self._rank_of = {name: i for i, name in enumerate(self._names)}
        self._stdlib = frozenset(
            canonicalize_name(module) for module in sys.stdlib_module_names if module[0] != "_"
        )
        self._keys: list[tuple[str, int, int]] = []  # (key, target, _NAME/_BASE/_IMPORT)
        self._key_ids: dict[str, list[int]] = {}
        # key minus one letter -> key id << 8 | position of the letter
        self._deletes: defaultdict[str, list[int]] = defaultdict(list)
        # key minus two letters -> key ids, for long keys of targets two edits count against
        self._near2: defaultdict[str, list[int]] = defaultdict(list)
        self._near2_longest = 0
        self._letter_sets: dict[str, list[int]] = {}  # sorted letters -> key ids (moved blocks)
        self._stripped: dict[str, list[int]] = {}  # name without separators -> targets
        self._folded: dict[str, list[int]] = {}  # homoglyph-folded name -> targets
        self._word_sets: dict[str, list[int]] = {}  # sorted words -> targets
        self._cores: dict[str, list[int]] = {}  # name minus a python-/-py affix -> targets
        self._families: frozenset[str] = frozenset()
        self._vocabulary: dict[str, int] | None = None  # word -> how many listed names use it
        # Keys of targets ranked below this get no deletions (see the class docstring).
        self._deletes_tier = max(rules.tier(t) for t in ("deletion", "substitution", "two-edits"))
        self._two_edit_tier = rules.tier("two-edits")
        self._move_tier = rules.tier("word-order")
        self._index()

    @classmethod
    def build(
        cls, popular: Iterable[tuple[str, int]], *, rules: TyposquatRules | None = None
    ) -> TyposquatIndex:
        """Index ``(name, downloads)`` pairs, in any order: they are ranked here by downloads.

        Names are canonicalised; a name given twice keeps its larger count. Pass every listed
        name, not only the targets: names below the target tier still carry the popularity
        figures of the candidates being checked.
        """
        pairs = list(popular)
        names = [name for name, _ in pairs]
        counts: dict[NormalizedName, int]
        if _all_canonical(names) and len(set(names)) == len(names):
            # The common case (a list that went through the popularity cache), in C speed.
            counts = dict(cast(list[tuple[NormalizedName, int]], pairs))
        else:
            counts = {}
            for name, count in pairs:
                canonical = canonicalize_name(name)
                counts[canonical] = max(count, counts.get(canonical, 0))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls([n for n, _ in ranked], [c for _, c in ranked], rules or TyposquatRules())

    def __len__(self) -> int:
        return len(self._names)

    # ------------------------------------------------------------------ building

    def _index(self) -> None:
        rules = self.rules
        short_name = rules.short_name
        add_key, stripped, folded = self._add_key, self._stripped, self._folded
        word_sets, cores = self._word_sets, self._cores
        family_counts: dict[str, int] = {}
        targets = self._names[: rules.target_tier]
        folds = homoglyph_fold_all(targets)
        for i, name in enumerate(targets):
            add_key(name, i, _NAME)
            base = name.rstrip(_DIGITS)
            if base != name and len(base) > short_name and base[-1] != "-":
                add_key(base, i, _BASE)
            stripped.setdefault(name.replace("-", ""), []).append(i)
            folded.setdefault(folds[i], []).append(i)
            if "-" in name:
                words = name.split("-")
                word_sets.setdefault("-".join(sorted(words)), []).append(i)
                for cut in range(1, len(words)):
                    prefix = "-".join(words[:cut]) + "-"
                    family_counts[prefix] = family_counts.get(prefix, 0) + 1
            for core in affix_cores(name, bare=False):
                cores.setdefault(core, []).append(i)
        # "python-" and "py-" are affixes many unrelated names carry, not an ecosystem.
        self._families = frozenset(
            prefix
            for prefix, count in family_counts.items()
            if count >= rules.family_size and prefix not in PREFIXES
        )
        # An import name stands for its distribution ("sklearns" is a near miss of
        # scikit-learn); one spelled like its distribution ("pdfminer") needs no key.
        for import_name, distribution in IMPORT_NAME_TO_DISTRIBUTION.items():
            target = self._rank_of.get(NormalizedName(distribution))
            alike = import_name.replace("-", "") in distribution.replace("-", "")
            if target is not None and target < rules.target_tier and not alike:
                self._add_key(import_name, target, _IMPORT)

    def _word_counts(self) -> dict[str, int]:
        """How many listed names use each word; built the first time a rule asks."""
        if self._vocabulary is None:
            vocabulary: dict[str, int] = {}
            for name in self._names:
                for word in set(name.split("-")):
                    vocabulary[word] = vocabulary.get(word, 0) + 1
            self._vocabulary = vocabulary
        return self._vocabulary

    def _add_key(self, key: str, target: int, via: int) -> None:
        rules = self.rules
        key_id = len(self._keys)
        self._keys.append((key, target, via))
        self._key_ids.setdefault(key, []).append(key_id)
        length = len(key)
        if target < self._move_tier and length - key.count("-") >= rules.move_length:
            self._letter_sets.setdefault("".join(sorted(key.replace("-", ""))), []).append(key_id)
        if target >= self._deletes_tier:
            return
        deletes = self._deletes
        code = key_id << _POSITION_BITS
        for pos in range(min(length, 1 << _POSITION_BITS)):
            deletes[key[:pos] + key[pos + 1 :]].append(code | pos)
        if (
            target < self._two_edit_tier
            and length >= rules.two_edit_length
            and via != _IMPORT
            and "-" not in key
        ):
            self._near2_longest = max(self._near2_longest, length)
            near2 = self._near2
            for variant in _kept_start_deletions(key, rules.kept_start):
                near2[variant].append(key_id)

    # ------------------------------------------------------------------ checking

    def check(self, name: str, *, owners_of: OwnersOf | None = None) -> TyposquatResult | None:
        """The most likely mistake behind ``name``, or None when it looks like itself.

        ``owners_of(project)`` may return the accounts (users or an organisation) owning a
        project. A near miss that shares an owner with its target is a sibling and not
        reported; an import name that does is reported at "review" level.
        """
        shown = name.strip()
        candidate = canonicalize_name(shown)
        position = self._rank_of.get(candidate)

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

        if candidate in self._stdlib:
            return self._stdlib_result(shown, candidate, position)
        return None

    def _hits(self, candidate: str) -> Iterator[_Hit]:
        stripped = candidate.replace("-", "")
        for target in self._stripped.get(stripped, ()):
            yield _Hit(target, "separator", "differs only in '-', '_' or '.' separators")
        for target in self._folded.get(homoglyph_fold(candidate), ()):
            if self._names[target].replace("-", "") != stripped:
                detail = f"reads like {self._names[target]!r} (l/1/i, o/0, rn/m, vv/w, cl/d)"
                yield _Hit(target, "homoglyph", detail)
        words = candidate.split("-")
        if len(words) > 1:
            for target in self._word_sets.get("-".join(sorted(words)), ()):
                yield _Hit(target, "word-order", "the same words in another order")
        yield from self._affix_hits(candidate)
        yield from self._edit_hits(candidate)

    def _affix_hits(self, candidate: str) -> Iterator[_Hit]:
        for core in affix_cores(candidate, bare=True):
            for key_id in self._key_ids.get(core, ()):
                _, target, via = self._keys[key_id]
                if via == _NAME:
                    yield _Hit(target, "prefix-suffix", f"{core!r} with a prefix or suffix added")
            for target in self._cores.get(core, ()):
                detail = f"the same name as {self._names[target]!r} with another prefix or suffix"
                yield _Hit(target, "prefix-suffix", detail)
        base = candidate.rstrip(_DIGITS)
        if base != candidate:
            for key_id in self._key_ids.get(base, ()):
                _, target, via = self._keys[key_id]
                if via == _NAME:
                    digits = candidate[len(base) :]
                    yield _Hit(target, "version-digits", f"the digits {digits!r} added")

    def _edit_hits(self, candidate: str) -> Iterator[_Hit]:
        seen: set[int] = set()
        length = len(candidate)
        for i in range(-1, length):
            probe = candidate if i < 0 else candidate[:i] + candidate[i + 1 :]
            seen.update(self._key_ids.get(probe, ()))
            seen.update(code >> _POSITION_BITS for code in self._deletes.get(probe, ()))
        # Keys without deletions: a swap of two neighbours or one look-alike character.
        key_ids = self._key_ids
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
        if length - candidate.count("-") >= self.rules.move_length and self._letter_sets:
            letters = "".join(sorted(candidate.replace("-", "")))
            moved.update(self._letter_sets.get(letters, ()))
            for key_id in sorted(moved):
                key, target, via = self._keys[key_id]
                blocks = moved_blocks(candidate, key) if via != _IMPORT else None
                kept = self.rules.kept_start
                if blocks is not None and candidate[:kept] == key[:kept]:
                    detail = f"{blocks[0]!r} and {blocks[1]!r} in the other order"
                    yield _Hit(target, "word-order", detail, drops_digits=via == _BASE)
        for key_id in sorted(seen):  # index order: ties between keys always resolve alike
            key, target, via = self._keys[key_id]
            if key == candidate:
                if via == _BASE:
                    dropped = self._names[target][len(key) :]
                    yield _Hit(
                        target, "version-digits", f"the digits {dropped!r} left out", None, True
                    )
                continue
            edit = classify_edit(candidate, key, two_edit_length=self.rules.two_edit_length)
            if edit is None:
                continue
            if via == _BASE:
                detail = (
                    f"{edit.detail}, and the digits {self._names[target][len(key) :]!r} left out"
                )
                yield _Hit(target, edit.kind, detail, edit, drops_digits=True)
            elif via == _IMPORT:
                detail = f"{edit.detail} in {key!r}, the import name of {self._names[target]!r}"
                yield _Hit(target, edit.kind, detail)
            else:
                yield _Hit(target, edit.kind, edit.detail, edit)

    def _two_edit_probes(self, candidate: str, seen: set[int]) -> None:
        """Add the keys two edits away from ``candidate`` after its first letters: two names
        two edits apart share a spelling with at most two letters taken from each (symmetric
        deletion), so a few dozen probes find them without measuring any distance."""
        if len(candidate) > self._near2_longest + 2:
            return
        near2 = self._near2
        for variant in _kept_start_deletions(candidate, self.rules.kept_start):
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
        if (
            hit.edit is not None
            and hit.technique not in _STRONG
            and self._looks_deliberate(candidate, target_name, hit.edit)
        ):
            return False
        return not (owners_of is not None and owners_of(candidate) & owners_of(target_name))

    def _required_tier(self, hit: _Hit, letters: int) -> int:
        """How high the target must rank for this evidence (a bound on its 0-based rank)."""
        rules = self.rules
        tier = rules.tier(hit.technique, letters)
        if hit.drops_digits:
            tier = min(tier, rules.tier("version-digits"))
        first_letter = hit.edit is not None and hit.edit.at == 0
        # A doubled first letter ("cchardet") is as rare a slip as an added one.
        edits = ("insertion", "deletion", "substitution", "repeated-letter")
        if first_letter and hit.technique in edits:
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
        uses = self._word_counts().get(word, 0)
        if candidate in self._rank_of and word in candidate.split("-"):
            uses -= 1  # the candidate's own listing does not make its word a known word
        if uses > 0 and word not in target.split("-"):
            return True
        if len(word) > _FAMILY_WORD:
            return False
        words = target.split("-")
        for cut in range(len(words) - 1, 0, -1):
            prefix = "-".join(words[:cut]) + "-"
            if edit.at >= len(prefix) and prefix in self._families:
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
        target = self._names[hit.target]
        rank, downloads = self._popularity(position)
        target_downloads = self._downloads[hit.target]
        # A project on the popularity list is used by many on purpose: a squat that collects
        # that many downloads is rare and short-lived. It is flagged for a second look, not
        # blocked, except for look-alike characters, which nobody picks for a name of their own.
        established = rank is not None and hit.technique != "homoglyph"
        if rank is None:
            own = f"{shown!r} is not among the {len(self._names):,} most downloaded projects"
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
            f"{shown!r} looks like a mistyped {target!r} ({_WORDS[hit.technique]}: "
            f"{hit.detail}). {target!r} ranks {hit.target + 1:,} with {target_downloads:,} "
            f"downloads a month; {own}. {why} Did you mean {target}?"
        )
        return TyposquatResult(
            name=candidate,
            kind="typosquat",
            technique=hit.technique,
            target=target,
            level="review" if established else "avoid",
            detail=hit.detail,
            message=message,
            target_rank=hit.target + 1,
            target_downloads=target_downloads,
            candidate_rank=rank,
            candidate_downloads=downloads,
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
        target_rank, target_downloads = self._popularity(
            self._rank_of.get(NormalizedName(distribution))
        )
        sibling = owners_of is not None and bool(owners_of(candidate) & owners_of(distribution))
        in_use = (
            downloads is not None
            and (target_downloads or 0) < self.rules.import_name_ratio * downloads
        )
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

    def _stdlib_result(
        self, shown: str, candidate: NormalizedName, position: int | None
    ) -> TyposquatResult:
        rank, downloads = self._popularity(position)
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


def _kept_start_deletions(name: str, kept: int) -> set[str]:
    """``name`` with up to two characters taken out after its first ``kept``."""
    ones = {name[:i] + name[i + 1 :] for i in range(kept, len(name))}
    twos = {one[:j] + one[j + 1 :] for one in ones for j in range(kept, len(one))}
    return {name} | ones | twos


def _all_canonical(names: Sequence[str]) -> bool:
    """Whether every name is already in PEP 503 form (what ``canonicalize_name`` returns):
    lower case, no "_" or ".", no run of "-". Checked on all names joined, by a few C scans;
    a newline cannot fake a "--" or hide a capital."""
    text = "\n".join(names)
    return text == text.lower() and "_" not in text and "." not in text and "--" not in text
