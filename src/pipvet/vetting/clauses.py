"""Version clauses (``>=3.8``, ``>=1.2,<2``, ``!=3.0.*``, ``~=1.4``) matched without
packaging's specifiers, for the clauses of plain release numbers that Requires-Dist and
Requires-Python are mostly made of.

``read`` accepts a text only when every clause is ``OP N(.N)*`` (``==`` and ``!=`` also with
``.*``; ``~=`` with two numbers or more) or a pre-release in normal form after ``<``, ``<=``,
``>=``, ``==`` or ``!=`` (``<2.0a0``), which ``SpecifierSet`` accepts too; ``contains``
answers what ``SpecifierSet(text).contains(version, prereleases=True)`` answers, from
``pipvet.pep440``'s keys, for a version without a local label (None for one with, and the
caller asks packaging). Any other text is None, and the caller builds the ``SpecifierSet``.
Importing ``packaging.specifiers`` (and ``packaging.version``'s pattern) cost a warm vet more
than its whole matching. The tests compare both with packaging. Pure.
"""

from __future__ import annotations

from pipvet import pep440

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = ["Clause", "contains", "prereleases", "read"]

# (operator, release numbers, the version's order key, whether it is a pre-release): the
# operator "==*" / "!=*" for a wildcard.
Clause: TypeAlias = tuple[str, tuple[int, ...], str, bool]

_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")  # two-character ones first
_DIGITS = frozenset("0123456789")


def read(text: str) -> tuple[Clause, ...] | None:
    """The clauses of ``text`` ("" is none), or None when one is not of the forms read here."""
    if not text:
        return ()
    out: list[Clause] = []
    for written in text.split(","):
        clause = written.strip(" ")
        op = next((o for o in _OPERATORS if clause.startswith(o)), None)
        if op is None or clause.startswith(("===", "<==", ">==")):
            return None
        version = clause[len(op) :].lstrip(" ")
        if version.endswith(".*") and op in ("==", "!="):
            version, op = version[:-2], op + "*"
        release = _release(version)
        if release is not None:
            if op == "~=" and len(release) < 2:
                return None
            out.append((op, release, pep440.order_key((0, release, None, None, None, None)), False))
            continue
        pre = _pre_release(version) if op in ("<", "<=", ">=", "==", "!=") else None
        if pre is None:
            return None
        out.append((op, pre[1], pep440.order_key(pre), True))
    return tuple(out)


def _pre_release(text: str) -> pep440.Parts | None:
    """The parts of ``N(.N)*(a|b|rc)N`` written in normal form; None for any other text."""
    parts = pep440.parse(text) if text.isascii() and text[:1] in _DIGITS else None
    if parts is None or parts[0] or parts[2] is None or parts[3:] != (None, None, None):
        return None
    return parts if pep440.normal(parts) == text else None


def prereleases(clauses: tuple[Clause, ...]) -> bool:
    """``bool(SpecifierSet(text).prereleases)``: a clause other than ``!=`` names one."""
    return any(pre and op != "!=" for op, _, _, pre in clauses)


def _release(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    if not all(p and len(p) <= 18 and all(c in _DIGITS for c in p) for p in parts):
        return None
    return tuple(int(p) for p in parts)


def contains(clauses: tuple[Clause, ...], version: pep440.Parts) -> bool | None:
    """Whether ``version`` satisfies every clause, prereleases included; None for a version
    with a local label (packaging strips it per operator: left to it)."""
    epoch, release, _pre, _post, _dev, local = version
    if local is not None:
        return None
    key = pep440.order_key(version)
    for op, wanted, wanted_key, pre in clauses:
        if op == ">=":
            ok = key >= wanted_key
        elif op == "<=":
            ok = key <= wanted_key
        elif op == "==":
            ok = key == wanted_key
        elif op == "!=":
            ok = key != wanted_key
        elif op == "<" and pre:  # below a pre-release: its family is not carved out
            ok = key < wanted_key
        elif op in ("<", ">"):
            # A final V's own family (V.dev0, Va1, V.post1) is neither below nor above it.
            if epoch == 0 and _trimmed(release) == _trimmed(wanted):
                ok = False
            else:
                ok = key < wanted_key if op == "<" else key > wanted_key
        elif op in ("==*", "!=*"):
            ok = _prefixed(epoch, release, wanted) == (op == "==*")
        else:  # "~=": at least V, and V's release but the last number as a prefix
            ok = key >= wanted_key and _prefixed(epoch, release, wanted[:-1])
        if not ok:
            return False
    return True


def _trimmed(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _prefixed(epoch: int, release: tuple[int, ...], prefix: tuple[int, ...]) -> bool:
    """Whether a version of ``epoch`` and ``release`` is one of ``prefix.*``: its release,
    padded with zeros, starts with the prefix (epoch 0: the prefix has none)."""
    padded = release + (0,) * (len(prefix) - len(release))
    return epoch == 0 and padded[: len(prefix)] == prefix
