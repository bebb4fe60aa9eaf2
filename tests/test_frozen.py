"""``@frozen`` behaves as ``@dataclass(frozen=True)`` where pipvet relies on it: the same
constructor, equality, hashing, order, repr and frozenness, checked against real dataclasses."""

from __future__ import annotations

import copy
import dataclasses
import functools
import pickle
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pipvet.frozen as frozen_module
from pipvet.frozen import (
    FrozenInstanceError,
    asdict,
    field,
    fields,
    frozen,
    is_frozen,
    replace,
)


@frozen
class Item:
    name: str
    version: str | None = None
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list, compare=False)
    hidden: str = field(default="", repr=False)
    LIMIT: ClassVar[int] = 3


@dataclasses.dataclass(frozen=True)
class ItemDC:
    name: str
    version: str | None = None
    tags: tuple[str, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list, compare=False)
    hidden: str = dataclasses.field(default="", repr=False)
    LIMIT: ClassVar[int] = 3


@frozen(slots=True, order=True)
class Pair:
    first: int
    second: str = "b"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class PairDC:
    first: int
    second: str = "b"


@frozen
class Checked:
    low: int
    high: int
    span: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")
        object.__setattr__(self, "span", self.high - self.low)


@frozen
class Child(Item):
    extra: int = 0


values = st.tuples(
    st.text(max_size=5),
    st.none() | st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=3).map(tuple),
    st.lists(st.text(max_size=3), max_size=3),
    st.text(max_size=3),
)


@given(values, values)
def test_equality_hash_and_repr_are_those_of_a_dataclass(a: tuple, b: tuple) -> None:  # type: ignore[type-arg]
    mine_a, mine_b, theirs_a, theirs_b = Item(*a), Item(*b), ItemDC(*a), ItemDC(*b)
    assert (mine_a == mine_b) is (theirs_a == theirs_b)
    assert (mine_a != mine_b) is (theirs_a != theirs_b)
    if mine_a == mine_b:
        assert hash(mine_a) == hash(mine_b)
    assert repr(mine_a).replace("Item(", "ItemDC(") == repr(theirs_a)


@given(st.integers(), st.text(max_size=3), st.integers(), st.text(max_size=3))
def test_order_is_that_of_a_dataclass(a: int, x: str, b: int, y: str) -> None:
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(Pair(a, x), op)(Pair(b, y)) == getattr(PairDC(a, x), op)(PairDC(b, y))
    assert sorted([Pair(b, y), Pair(a, x)]) == sorted([Pair(a, x), Pair(b, y)])


def test_the_constructor_takes_positions_keywords_defaults_and_factories() -> None:
    item = Item("numpy", tags=("a",))
    assert (item.name, item.version, item.tags, item.hidden) == ("numpy", None, ("a",), "")
    assert item.notes == []
    assert item.notes is not Item("x").notes
    assert Item.LIMIT == 3
    assert "LIMIT" not in [f.name for f in fields(Item)]
    assert Item.__match_args__ == ("name", "version", "tags", "notes", "hidden")
    with pytest.raises(TypeError):
        Item()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Item("a", nope=1)  # type: ignore[call-arg]


def test_assignment_and_deletion_are_refused() -> None:
    item = Item("numpy")
    with pytest.raises(FrozenInstanceError):
        item.name = "pandas"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del item.name
    pair = Pair(1)
    with pytest.raises(FrozenInstanceError):
        pair.first = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        pair.other = 2  # type: ignore[attr-defined]


def test_compare_false_and_other_classes_stay_out_of_equality() -> None:
    assert Item("a", notes=["x"]) == Item("a", notes=["y"])
    assert Item("a") != ItemDC("a")  # type: ignore[comparison-overlap]
    assert Child("a") != Item("a")
    assert len({Item("a"), Item("a"), Item("b")}) == 2


def test_post_init_runs_and_init_false_fields_are_set_by_it() -> None:
    assert Checked(1, 4).span == 3
    with pytest.raises(ValueError, match="low above high"):
        Checked(4, 1)
    with pytest.raises(ValueError, match="span"):
        replace(Checked(1, 2), span=5)
    assert replace(Checked(1, 2), high=7).span == 6  # __post_init__ runs again
    with pytest.raises(ValueError, match="low above high"):
        replace(Checked(1, 2), low=9)


def test_a_subclass_adds_fields_after_its_bases() -> None:
    child = Child("a", "1", extra=2)
    assert [f.name for f in fields(child)] == [*(f.name for f in fields(Item)), "extra"]
    assert child.extra == 2
    assert child.version == "1"
    assert isinstance(child, Item)


def test_slots_instances_have_no_dict_and_survive_copy_and_pickle() -> None:
    pair = Pair(1, "x")
    assert not hasattr(pair, "__dict__")
    assert Pair.__slots__ == ("first", "second")
    assert pickle.loads(pickle.dumps(pair)) == pair
    assert copy.deepcopy(pair) == pair
    assert copy.copy(pair) == pair
    item = Item("a", notes=["n"])
    assert pickle.loads(pickle.dumps(item)) == item
    assert copy.deepcopy(item).notes == ["n"]


def test_replace_fields_asdict_and_is_frozen() -> None:
    item = Item("a", "1", ("t",))
    assert replace(item, version="2") == Item("a", "2", ("t",))
    assert asdict(Child("a", tags=("x",))) == dataclasses.asdict(ItemDC("a", tags=("x",))) | {
        "extra": 0
    }
    assert is_frozen(Item)
    assert is_frozen(item)
    assert not is_frozen(ItemDC("a"))
    with pytest.raises(TypeError):
        fields(ItemDC("a"))
    with pytest.raises(TypeError):
        asdict(Item)


def test_mistakes_in_a_class_are_refused_when_it_is_made() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b'"):

        @frozen
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]

    with pytest.raises(ValueError, match="mutable default"):

        @frozen
        class Mutable:
            a: list[int] = []  # noqa: RUF012 - the mistake under test

    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=1, default_factory=int)


def test_a_class_keeps_the_methods_it_writes() -> None:
    @frozen
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert repr(Own(1)) == "own"
    assert Own(1) == Own(2)
    assert hash(Own(3)) == 7


@frozen
class Triple(Pair):  # no slots of its own, over a base with slots
    third: int = 0


def test_a_subclass_without_slots_over_a_base_with_slots_sets_every_field() -> None:
    triple = Triple(1, "x", 3)
    assert (triple.first, triple.second, triple.third) == (1, "x", 3)
    assert triple.__dict__ == {"third": 3}  # the base's fields live in its slots
    assert replace(triple, first=2) == Triple(2, "x", 3)


@frozen(slots=True)
class SlottedTriple(Pair):  # slots of its own, over a base with slots
    third: int = 0


def test_a_slotted_subclass_over_a_slotted_base_sets_every_field_and_stays_frozen() -> None:
    triple = SlottedTriple(1, "x", 3)
    assert (triple.first, triple.second, triple.third) == (1, "x", 3)
    assert not hasattr(triple, "__dict__")
    assert tuple(SlottedTriple.__dict__["__slots__"]) == ("third",)
    with pytest.raises(FrozenInstanceError):
        triple.first = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        triple.third = 2  # type: ignore[misc]
    assert replace(triple, first=2, third=4) == SlottedTriple(2, "x", 4)


def test_a_plain_subclass_of_a_frozen_class_is_still_one() -> None:
    class Plain(Item):  # not decorated: its fields are Item's
        pass

    assert is_frozen(Plain("a"))
    assert [f.name for f in fields(Plain)] == [f.name for f in fields(Item)]
    assert replace(Plain("a"), version="2").version == "2"


# --------------------------------------------------------------- the generic __init__

# A field: its kind, and whether the class stores it in a slot. "late" is init=False with no
# default, which __post_init__ sets.
_KINDS = ("required", "default", "factory", "no_init_default", "no_init_factory", "late")


def _logged(log: list[str], name: str) -> list[str]:
    log.append(name)
    return [name]  # a new list each time, as a factory makes


def _make_class(kinds: list[str], slots: bool, post_init: bool, log: list[str]) -> type:
    namespace: dict[str, object] = {"__annotations__": {}}
    for i, kind in enumerate(kinds):
        name = f"f{i}"
        namespace["__annotations__"][name] = "object"  # type: ignore[index]
        made = functools.partial(_logged, log, name)
        namespace[name] = {
            "required": frozen_module.MISSING,
            "default": f"d{i}",
            "factory": field(default_factory=made),
            "no_init_default": field(default=f"n{i}", init=False),
            "no_init_factory": field(default_factory=made, init=False),
            "late": field(init=False),
        }[kind]
        if namespace[name] is frozen_module.MISSING:
            del namespace[name]
    if post_init:

        def __post_init__(self: object) -> None:
            log.append("post")
            for i, kind in enumerate(kinds):
                if kind == "late":
                    object.__setattr__(self, f"f{i}", "late")

        namespace["__post_init__"] = __post_init__
    return frozen(slots=slots)(type("Shape", (), namespace))


def _state(obj: object, kinds: list[str]) -> list[object]:
    return [getattr(obj, f"f{i}", "<unset>") for i in range(len(kinds))]


@given(
    shape=st.tuples(st.lists(st.sampled_from(_KINDS), max_size=6), st.booleans(), st.booleans()),
    # Small numbers: most calls then bind, and a keyword often repeats a position.
    call=st.tuples(st.integers(0, 4), st.sets(st.integers(0, 4), max_size=3), st.booleans()),
)
def test_the_generic_init_does_what_the_compiled_one_does(
    shape: tuple[list[str], bool, bool], call: tuple[int, set[int], bool]
) -> None:
    kinds, slots, post_init = shape
    positional, keywords, stranger = call
    # Defaults after required fields only, as a class must have them.
    kinds = sorted(kinds, key=lambda k: k != "required")
    log: list[str] = []
    cls = _make_class(kinds, slots, post_init, log)
    every = fields(cls)
    args = tuple(f"a{i}" for i in range(positional))
    kwargs = {f"f{i}": f"k{i}" for i in keywords}
    if stranger:
        kwargs["stranger"] = "s"
    generic_log: list[str] = []
    compiled_log: list[str] = []
    plan = ([f.name for f in every if f.init], *frozen_module._stores(cls))
    one: object = object.__new__(cls)
    log.clear()
    done = frozen_module._generic_init(every, plan, one, args, dict(kwargs))
    generic_log[:] = log
    two: object = object.__new__(cls)
    log.clear()
    try:
        frozen_module._init(cls, every)(two, *args, **kwargs)
    except TypeError:
        assert not done  # the generic one declined what Python refuses
        assert generic_log == []  # and did nothing first
        return
    compiled_log[:] = log
    assert done
    assert _state(one, kinds) == _state(two, kinds)
    assert generic_log == compiled_log  # factories and __post_init__, in the same order


def test_a_class_compiles_its_init_at_its_fourth_instance() -> None:
    @frozen
    class Few:
        a: int
        b: list[int] = field(default_factory=list)

    first = Few.__init__
    made = [Few(i) for i in range(3)]
    assert Few.__init__ is first  # made the generic way
    Few(3)
    assert Few.__init__ is not first  # compiled, and in its place
    assert [Few(i) for i in range(3)] == made
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        Few(1, c=2)  # type: ignore[call-arg]
