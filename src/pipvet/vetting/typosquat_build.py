"""Building the typosquat index: every spelling a lookup probes, precomputed once.

Pure (no I/O). From the ranked popularity list it derives, for the target names (those
popular enough for any finding to count against them): the names themselves, the names
without trailing version digits and the import names of popular distributions (the *keys*);
the one-letter deletions of the keys of the most popular targets (so an insertion, deletion,
substitution or swap is a handful of dictionary probes, not thousands of edit-distance
computations); two-letter deletions after the first letters of long single-word keys (two
edits); sorted letters of long keys (moved blocks); separator-free and homoglyph-folded
spellings; sorted word sets; names without their ``python-``/``-py`` style affixes; and the
leading words that families of popular names share. ``rank_popular`` ranks the list first.
Looking names up is ``pipvet.vetting.typosquat``; the thresholds are ``TyposquatRules``.
"""

from __future__ import annotations

import functools
import itertools
import operator
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from pipvet.models import NormalizedName, canonicalize_name
from pipvet.typing_free import cast
from pipvet.vetting.import_names import IMPORT_NAME_TO_DISTRIBUTION
from pipvet.vetting.nearmiss import PREFIXES, affix_cores, homoglyph_fold_all
from pipvet.vetting.typosquat_model import TyposquatRules

__all__ = [
    "DIGITS",
    "POSITION_BITS",
    "VIA_BASE",
    "VIA_IMPORT",
    "VIA_NAME",
    "NameKeys",
    "kept_start_deletions",
    "rank_popular",
    "stdlib_names",
    "word_counts",
]

# What a key stands for: a popular name, a popular name without its trailing version digits
# ("beautifulsoup" for "beautifulsoup4"), or an import name of a popular distribution.
VIA_NAME, VIA_BASE, VIA_IMPORT = 0, 1, 2
DIGITS = "0123456789"
POSITION_BITS = 8  # deletion positions are packed into the low bits of a key code


def rank_popular(
    popular: Iterable[tuple[str, int]],
) -> tuple[list[NormalizedName], list[int]]:
    """``(name, downloads)`` pairs in any order -> names and their counts, most downloaded
    first (ties by name). Names are canonicalised; a name given twice keeps its larger count.
    """
    pairs = list(popular)
    names = [name for name, _ in pairs]
    counts: dict[NormalizedName, int]
    if _all_canonical(names) and len(set(names)) == len(names):
        # The common case (a list that went through the popularity cache), in C speed.
        downloads = [count for _, count in pairs]
        if _ranked(names, downloads):  # the cache keeps the list ranked: nothing to sort
            return cast("list[NormalizedName]", names), downloads
        counts = dict(cast("list[tuple[NormalizedName, int]]", pairs))
    else:
        counts = {}
        for name, count in pairs:
            canonical = canonicalize_name(name)
            counts[canonical] = max(count, counts.get(canonical, 0))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [n for n, _ in ranked], [c for _, c in ranked]


class NameKeys:
    """The lookup tables for one ranked list; built by the constructor, only read afterwards.

    Targets are positions in ``names`` (0 = most downloaded); key ids are positions in
    ``keys``. One-letter deletions are kept only for keys of targets ranked above
    ``deletes_tier``.
    """

    def __init__(
        self,
        names: Sequence[NormalizedName],
        rank_of: Mapping[NormalizedName, int],
        rules: TyposquatRules,
        *,
        deletes_tier: int,
    ) -> None:
        self.rules = rules
        self.names = names
        self.rank_of = rank_of
        self.keys: list[tuple[str, int, int]] = []  # (key, target, VIA_NAME/BASE/IMPORT)
        self.key_ids: dict[str, list[int]] = {}
        # key minus one letter -> key id << 8 | position of the letter
        self.deletes: defaultdict[str, list[int]] = defaultdict(list)
        # key minus two letters -> key ids, for long keys of targets two edits count against
        self.near2: defaultdict[str, list[int]] = defaultdict(list)
        self.near2_longest = 0
        self.letter_sets: dict[str, list[int]] = {}  # sorted letters -> key ids (moved blocks)
        self.stripped: dict[str, list[int]] = {}  # name without separators -> targets
        self.folded: dict[str, list[int]] = {}  # homoglyph-folded name -> targets
        self.word_sets: dict[str, list[int]] = {}  # sorted words -> targets
        self.cores: dict[str, list[int]] = {}  # name minus a python-/-py affix -> targets
        self.families: frozenset[str] = frozenset()
        self._vocabulary: dict[str, int] | None = None  # word -> how many listed names use it
        self._deletes_tier = deletes_tier
        self._two_edit_tier = rules.tier("two-edits")
        self._move_tier = rules.tier("word-order")
        self._index()

    def _index(self) -> None:
        rules = self.rules
        short_name = rules.short_name
        add_key, stripped, folded = self._add_key, self.stripped, self.folded
        word_sets, cores = self.word_sets, self.cores
        family_counts: dict[str, int] = {}
        targets = self.names[: rules.target_tier]
        folds = homoglyph_fold_all(targets)
        for i, name in enumerate(targets):
            add_key(name, i, VIA_NAME)
            base = name.rstrip(DIGITS)
            if base != name and len(base) > short_name and base[-1] != "-":
                add_key(base, i, VIA_BASE)
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
        self.families = frozenset(
            prefix
            for prefix, count in family_counts.items()
            if count >= rules.family_size and prefix not in PREFIXES
        )
        # An import name stands for its distribution ("sklearns" is a near miss of
        # scikit-learn); one spelled like its distribution ("pdfminer") needs no key.
        for import_name, distribution in IMPORT_NAME_TO_DISTRIBUTION.items():
            target = self.rank_of.get(NormalizedName(distribution))
            alike = import_name.replace("-", "") in distribution.replace("-", "")
            if target is not None and target < rules.target_tier and not alike:
                self._add_key(import_name, target, VIA_IMPORT)

    def word_counts(self) -> dict[str, int]:
        """How many listed names use each word; built the first time a rule asks."""
        if self._vocabulary is None:
            self._vocabulary = word_counts(self.names)
        return self._vocabulary

    def _add_key(self, key: str, target: int, via: int) -> None:
        rules = self.rules
        key_id = len(self.keys)
        self.keys.append((key, target, via))
        self.key_ids.setdefault(key, []).append(key_id)
        length = len(key)
        if target < self._move_tier and length - key.count("-") >= rules.move_length:
            self.letter_sets.setdefault("".join(sorted(key.replace("-", ""))), []).append(key_id)
        if target >= self._deletes_tier:
            return
        deletes = self.deletes
        code = key_id << POSITION_BITS
        for pos in range(min(length, 1 << POSITION_BITS)):
            deletes[key[:pos] + key[pos + 1 :]].append(code | pos)
        if (
            target < self._two_edit_tier
            and length >= rules.two_edit_length
            and via != VIA_IMPORT
            and "-" not in key
        ):
            self.near2_longest = max(self.near2_longest, length)
            near2 = self.near2
            for variant in kept_start_deletions(key, rules.kept_start):
                near2[variant].append(key_id)


def word_counts(names: Iterable[str]) -> dict[str, int]:
    """How many of ``names`` use each word (``-``-separated part)."""
    vocabulary: dict[str, int] = {}
    for name in names:
        for word in set(name.split("-")):
            vocabulary[word] = vocabulary.get(word, 0) + 1
    return vocabulary


def kept_start_deletions(name: str, kept: int) -> set[str]:
    """``name`` with up to two characters taken out after its first ``kept``."""
    ones = {name[:i] + name[i + 1 :] for i in range(kept, len(name))}
    twos = {one[:j] + one[j + 1 :] for one in ones for j in range(kept, len(one))}
    return {name} | ones | twos


def _ranked(names: Sequence[str], counts: Sequence[int]) -> bool:
    """Whether the pairs are already in ``rank_popular``'s order: counts never rising, equal
    counts by name. Checked pairwise by ``map`` in C; only ties are compared by name."""
    if not all(map(operator.ge, counts, counts[1:])):
        return False
    ties = itertools.compress(range(len(counts) - 1), map(operator.eq, counts, counts[1:]))
    return all(names[i] < names[i + 1] for i in ties)


def _all_canonical(names: Sequence[str]) -> bool:
    """Whether every name is already in PEP 503 form (what ``canonicalize_name`` returns):
    lower case, no "_" or ".", no run of "-". Checked on all names joined, by a few C scans;
    a newline cannot fake a "--" or hide a capital."""
    text = "\n".join(names)
    return text == text.lower() and "_" not in text and "." not in text and "--" not in text


@functools.cache
def stdlib_names() -> frozenset[str]:
    """The standard library's public module names, canonical: made once a process."""
    return frozenset(canonicalize_name(m) for m in sys.stdlib_module_names if m[0] != "_")
