"""Frozen value classes: what ``@dataclass(frozen=True)`` gives, for a fraction of its cost.

Every pipvet run creates forty or more value classes before it does any work, and
``dataclasses`` made that a third of a 300-package audit: importing it loads ``inspect`` (and
with it ``ast``, ``dis`` and ``tokenize``), and each class it makes compiles six generated
methods (about 0.7 ms each time). ``@frozen`` compiles one, ``__init__``, once a class has
made a few instances (a few classes make thousands), and shares plain functions for the rest.

What it keeps from ``dataclasses``: fields from the class's annotations (a base's first, as
with dataclasses), defaults and ``field(default_factory=..., init=..., repr=..., compare=...)``,
``__post_init__``, ``__repr__``, ``__eq__`` and ``__hash__`` over the compared fields,
``order=True``, ``slots=True``, ``__match_args__``, and assignment refused after ``__init__``
(``FrozenInstanceError``, an ``AttributeError``). ``replace``, ``fields``, ``asdict`` and
``is_frozen`` stand in for their ``dataclasses`` namesakes. Type checkers read ``@frozen``
through ``dataclass_transform`` (PEP 681), so constructors and frozenness are checked as for a
dataclass. Mutable builders stay ``dataclasses``; none of them is on a hot path.
"""

from __future__ import annotations

import sys
from operator import attrgetter

TYPE_CHECKING = False  # not typing's: an audit imports no typing (mypy reads this as true)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
    # The __init__ arguments' names, then what _stores says of the class.
    _Plan = tuple[list[str], bool, dict[str, Any], bool]
else:  # for type checkers: at run time their marks serve introspection only

    def overload(function: object) -> object:
        return function

    def dataclass_transform(**_: object) -> object:
        return overload


__all__ = ["FrozenInstanceError", "asdict", "field", "fields", "frozen", "is_frozen", "replace"]


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen instance."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a frozen class, as ``fields`` lists them."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        init: bool = True,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, init={self.init})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with options, as ``dataclasses.field``."""
    return Field(default, default_factory, init, repr, compare)


@overload
def frozen(cls: type[T], /) -> type[T]: ...


@overload  # (ruff takes only typing's overload for one: not imported at run time)
def frozen(*, slots: bool = False, order: bool = False) -> Callable[[type[T]], type[T]]: ...  # noqa: F811


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(  # noqa: F811
    cls: type[T] | None = None, /, *, slots: bool = False, order: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Make ``cls`` a frozen value class (see the module docstring)."""

    def wrap(cls: type[T]) -> type[T]:
        return _process(cls, slots=slots, order=order)

    return wrap if cls is None else wrap(cls)


def is_frozen(value: object) -> bool:
    """Whether ``value`` is a frozen class (made by ``@frozen``, or a subclass of one) or an
    instance of one."""
    kind = value if isinstance(value, type) else type(value)
    return hasattr(kind, "__frozen_fields__")


def fields(value: object) -> tuple[Field, ...]:
    """The fields of a frozen class or instance, in order."""
    kind = value if isinstance(value, type) else type(value)
    found: tuple[Field, ...] | None = getattr(kind, "__frozen_fields__", None)
    if found is None:
        raise TypeError(f"{kind.__qualname__} is not a frozen class")
    return found


def replace(value: T, /, **changes: Any) -> T:
    """A copy of ``value`` with ``changes``, made through its ``__init__`` (so
    ``__post_init__`` runs again), as ``dataclasses.replace``."""
    for f in fields(value):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name!r} is not an __init__ argument")
        elif f.name not in changes:
            changes[f.name] = getattr(value, f.name)
    made: T = type(value)(**changes)
    return made


def asdict(value: object) -> dict[str, Any]:
    """The fields of a frozen instance as a dict, recursively (as ``dataclasses.asdict``)."""
    if isinstance(value, type) or not is_frozen(value):
        raise TypeError("asdict() should be called on frozen instances")
    out: dict[str, Any] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if not isinstance(value, type) and is_frozen(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_plain(v) for v in value))
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    return value


# ------------------------------------------------------------------------------ making classes

_MUTABLE_DEFAULTS = (list, dict, set)


def _process(cls: type[T], *, slots: bool, order: bool) -> type[T]:
    inherited: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        for f in base.__dict__.get("__frozen_fields__", ()):
            inherited[f.name] = f
    own = _own_fields(cls)
    every = {**inherited, **{f.name: f for f in own}}
    field_list = tuple(every.values())
    for f in own:
        if f.default_factory is not MISSING or f.default is MISSING:
            if f.name in cls.__dict__:
                delattr(cls, f.name)
        else:
            setattr(cls, f.name, f.default)

    namespace: dict[str, Any] = {
        "__frozen_fields__": field_list,
        "__match_args__": tuple(f.name for f in field_list if f.init),
        "__frozen_repr__": tuple(f.name for f in field_list if f.repr),
        "__frozen_key__": _key_of(tuple(f.name for f in field_list if f.compare)),
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash,
        "__setattr__": _refuse_set,
        "__delattr__": _refuse_delete,
    }
    if order:
        namespace.update(__lt__=_lt, __le__=_le, __gt__=_gt, __ge__=_ge)
    own_eq = "__eq__" in cls.__dict__
    # Python sets __hash__ to None in a class that writes its own __eq__: not a choice.
    own_hash = cls.__dict__.get("__hash__", None) is not None or (
        "__hash__" in cls.__dict__ and not own_eq
    )
    written = {"__repr__": "__repr__" in cls.__dict__, "__eq__": own_eq, "__hash__": own_hash}
    for name, value in namespace.items():
        if not written.get(name, False):  # what the class writes itself, it keeps
            setattr(cls, name, value)
    if slots:
        cls = _with_slots(cls, field_list)
    _check_order(cls, field_list)
    setattr(cls, "__init__", _first_init(cls, field_list))  # noqa: B010 - a method, not data
    return cls


def _check_order(cls: type, field_list: tuple[Field, ...]) -> None:
    seen_default = False
    for f in field_list:
        if not f.init:
            continue
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")


# The instance that compiles its class's __init__ (_generic_init makes those before): compiling
# costs about 25 generic instances, and of the classes an audit instantiates, 15 of 24 make
# one or two instances (the others hundreds).
_COMPILE_AT = 4


def _first_init(cls: type, field_list: tuple[Field, ...]) -> Callable[..., None]:
    """An ``__init__`` that makes the first few instances by ``_generic_init``, then compiles
    the real one and puts it in its place (compiling is what costs: see _COMPILE_AT)."""
    made = 0
    plan: _Plan | None = None

    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        nonlocal made, plan
        made += 1
        if made < _COMPILE_AT:
            plan = plan or ([f.name for f in field_list if f.init], *_stores(cls))
            if _generic_init(field_list, plan, self, args, kwargs):
                return
        real = _init(cls, field_list)
        setattr(cls, "__init__", real)  # noqa: B010 - a method, not data
        real(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _generic_init(every: tuple[Field, ...], plan: _Plan, self: Any, args: Any, kw: Any) -> bool:
    """What the compiled ``__init__`` does, for arguments that bind as they are (False, with
    nothing done, for any others: the compiled one then raises Python's own TypeError)."""
    names, has_dict, slotted, post_init = plan
    given = dict(zip(names, args, strict=False))
    if len(args) > len(names) or any(k in given or k not in names for k in kw):
        return False
    given.update(kw)
    for f in every:
        if f.init and f.name not in given and f.default is MISSING is f.default_factory:
            return False  # a required argument is missing
    for f in every:
        name = f.name
        if name in given:
            value = given[name]
        elif f.default_factory is not MISSING:
            value = f.default_factory()
        elif f.default is not MISSING:
            value = f.default
        else:
            continue  # set by __post_init__, if at all
        if has_dict and name not in slotted:
            self.__dict__[name] = value
        elif name in slotted:
            slotted[name].__set__(self, value)
        else:
            object.__setattr__(self, name, value)
    if post_init:
        self.__post_init__()
    return True


def _stores(cls: type) -> tuple[bool, dict[str, Any], bool]:
    """Whether instances have a __dict__, the slot descriptor of each slotted field, and
    whether the class has a __post_init__."""
    slotted = {
        name: kind.__dict__[name]
        for kind in reversed(cls.__mro__)
        for name in kind.__dict__.get("__slots__", ())
        if name in kind.__dict__
    }
    has_dict = any("__slots__" not in kind.__dict__ for kind in cls.__mro__[:-1])
    return has_dict, slotted, "__post_init__" in dir(cls)


def _own_fields(cls: type) -> list[Field]:
    out: list[Field] = []
    # Not inspect.get_annotations: importing inspect is what this module avoids.
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if text.startswith(("ClassVar", "typing.ClassVar", "InitVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        if isinstance(f.default, _MUTABLE_DEFAULTS):
            raise ValueError(
                f"mutable default {type(f.default).__name__} for field {name} of "
                f"{cls.__qualname__}: use default_factory"
            )
        out.append(f)
    return out


def _init(cls: type, field_list: tuple[Field, ...]) -> Callable[..., None]:
    """``__init__``, compiled once per class: where instances are made, speed counts. Its text
    is short (defaults go in __defaults__, no name unused): parsing it is what costs."""
    params: list[str] = []
    defaults: list[Any] = []
    closure: dict[str, Any] = {}
    # A field without a slot is stored straight into the instance's __dict__ (half the cost of
    # object.__setattr__); a slotted one through its slot's own descriptor (which that call
    # would only look up, going round the class's refusing __setattr__).
    has_dict, slotted, post_init = _stores(cls)
    body = ["  __dict = self.__dict__"] if has_dict else []
    for f in field_list:
        name = f.name
        if f.default_factory is not MISSING:
            closure[f"__f_{name}"] = f.default_factory
            value = f"__f_{name}()"
            if f.init:
                params.append(f"{name}=0")
                defaults.append(_FACTORY)
                closure["__factory"] = _FACTORY
                value = f"{value} if {name} is __factory else {name}"
        elif f.default is not MISSING and not f.init:
            closure[f"__d_{name}"] = f.default
            value = f"__d_{name}"
        elif f.init:
            params.append(name if f.default is MISSING else f"{name}=0")
            defaults.extend(() if f.default is MISSING else (f.default,))
            value = name
        else:
            continue  # set by __post_init__, if at all
        if has_dict and name not in slotted:
            body.append(f"  __dict[{name!r}] = {value}")
        elif name in slotted:
            closure[f"__s_{name}"] = slotted[name].__set__
            body.append(f"  __s_{name}(self, {value})")
        else:
            closure["__set"] = object.__setattr__
            body.append(f"  __set(self, {name!r}, {value})")
    if post_init:
        body.append("  self.__post_init__()")
    source = (
        f"def __make__({', '.join(closure)}):\n"
        f" def __init__(self, {', '.join(params)}):\n"
        + ("\n".join(body) or "  pass")
        + "\n return __init__\n"
    )
    module = sys.modules.get(cls.__module__)
    scope: dict[str, Any] = {}
    exec(source, module.__dict__ if module is not None else {}, scope)
    made: Callable[..., None] = scope["__make__"](**closure)
    made.__defaults__ = tuple(defaults) or None
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    return made


class _Factory:
    """The default of an argument whose field has a ``default_factory``."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _key_of(names: tuple[str, ...]) -> Any:
    if not names:
        return staticmethod(_empty_key)
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
        return attrgetter(names[0], names[0])
    return attrgetter(*names)


def _empty_key(value: object) -> tuple[Any, ...]:
    return ()


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__frozen_repr__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> object:  # a bool, or NotImplemented
    key: Callable[[object], tuple[Any, ...]] = self.__frozen_key__
    if other.__class__ is self.__class__:
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__frozen_key__(self))


def _ordering(test: Callable[[Any, Any], bool]) -> Callable[[Any, object], object]:
    def compare(self: Any, other: object) -> object:  # a bool, or NotImplemented
        key: Callable[[object], tuple[Any, ...]] = self.__frozen_key__
        if other.__class__ is self.__class__:
            return test(key(self), key(other))
        return NotImplemented

    return compare


_lt, _le, _gt, _ge = map(_ordering, (tuple.__lt__, tuple.__le__, tuple.__gt__, tuple.__ge__))


def _refuse_set(self: object, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _with_slots(cls: type[T], field_list: tuple[Field, ...]) -> type[T]:
    """The class made again with ``__slots__`` (a class's slots are fixed when it is made)."""
    names = tuple(f.name for f in field_list)
    namespace = dict(cls.__dict__)
    inherited = {slot for base in cls.__mro__[1:-1] for slot in base.__dict__.get("__slots__", ())}
    namespace["__slots__"] = tuple(n for n in names if n not in inherited)
    for name in (*names, "__dict__", "__weakref__"):
        namespace.pop(name, None)
    namespace["__getstate__"] = _getstate
    namespace["__setstate__"] = _setstate
    metaclass: Any = type(cls)
    made: Any = metaclass(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    return made  # type: ignore[no-any-return]


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in self.__frozen_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for f, value in zip(self.__frozen_fields__, state, strict=True):
        object.__setattr__(self, f.name, value)
