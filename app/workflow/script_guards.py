"""What a running script may touch: an allow-list, never a deny-list.

The compiled script (script_policy.py) reaches every attribute, item, call, iteration
and assignment target through the guards below. A guard lets through only named
attributes of the exact types listed here; anything else — frames, code objects,
generator and coroutine internals, functions and methods, classes, modules — has no
attribute a script can read, however the name is spelled (the name is data here, so
`getattr`-like tricks, format strings and string subscripts meet the same wall). A
deny-list of names was escaped through `gi_frame.f_back.f_globals`; this cannot be,
since a generator has no allowed attribute at all.

Values a call builds are charged to the evaluation's budget (script_limits.py).
"""
from datetime import date, datetime, timedelta
from decimal import Decimal

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from app.workflow.script_errors import ScriptDenied, ScriptStop
from app.workflow.script_limits import MAX_ITEMS, binop, charge, charge_items, in_place, sized

_STR_TESTS = {"count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal", "isdigit", "islower",
              "isnumeric", "isspace", "istitle", "isupper", "rfind", "rindex", "startswith"}
# methods returning a new value, charged to the budget
_STR_BUILDERS = {"capitalize", "casefold", "join", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
                 "replace", "rpartition", "rsplit", "rstrip", "split", "splitlines", "strip", "swapcase", "title",
                 "upper"}
_SET_READS = {"isdisjoint", "issubset", "issuperset"}
_SET_BUILDERS = {"copy", "difference", "intersection", "symmetric_difference", "union"}
_SET_CHANGES = {"add", "clear", "difference_update", "discard", "intersection_update", "pop", "remove",
                "symmetric_difference_update", "update"}

# type → the attributes a script may read on its instances (exact type, not subclasses)
ATTRIBUTES = {
    str: _STR_TESTS | _STR_BUILDERS,
    int: {"bit_length"},
    bool: {"bit_length"},
    float: {"is_integer"},
    Decimal: {"is_signed", "is_zero", "quantize", "to_integral_value"},
    date: {"day", "isoformat", "isoweekday", "month", "replace", "toordinal", "weekday", "year"},
    datetime: {"date", "day", "hour", "isoformat", "isoweekday", "microsecond", "minute", "month", "replace",
               "second", "toordinal", "weekday", "year"},
    timedelta: {"days", "microseconds", "seconds", "total_seconds"},
    list: {"append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"},
    tuple: {"count", "index"},
    dict: {"clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"},
    set: _SET_READS | _SET_BUILDERS | _SET_CHANGES,
    frozenset: _SET_READS | _SET_BUILDERS,
}
# class objects a script may name (constructors in its scope) → attributes it may read on them
CLASS_ATTRIBUTES = {date: {"fromisoformat", "today"}, datetime: {"fromisoformat"}}
ANY_ATTRIBUTE = set().union(*ATTRIBUTES.values(), *CLASS_ATTRIBUTES.values())
BUILDERS = {(str, name) for name in _STR_BUILDERS} | {(t, name) for t in (set, frozenset) for name in _SET_BUILDERS} \
    | {(list, "copy"), (dict, "copy")}
CONSTRUCTORS = (list, tuple, dict, set, frozenset, sorted, str)
_CONSTRUCTOR_IDS = {id(c) for c in CONSTRUCTORS}  # by identity: a bound method of a list is unhashable
_GROWERS = {"extend", "update"}
SUBSCRIPTABLE = (list, tuple, str, dict, range)
WRITABLE = (list, dict)


def _deny(what: str):
    raise ScriptDenied(f"{what} is not allowed")


def _type_name(obj) -> str:
    return type(obj).__name__


def guarded_getattr(obj, name):
    """`obj.name` for allowed attributes only (RestrictedPython's `_getattr_`)."""
    if not isinstance(name, str):
        _deny("a computed attribute")
    allowed = CLASS_ATTRIBUTES.get(obj) if isinstance(obj, type) else ATTRIBUTES.get(type(obj))
    if allowed is None or name not in allowed:
        _deny(f"attribute '{name}' of {_type_name(obj) if not isinstance(obj, type) else 'a type'}")
    return getattr(obj, name)


def guarded_getitem(obj, key):
    """`obj[key]` on the plain containers; a slice is a new value, charged."""
    if type(obj) not in SUBSCRIPTABLE:
        _deny(f"indexing a {_type_name(obj)}")
    if isinstance(key, slice):
        return charge(obj[key])
    return obj[key]


def guarded_write(obj):
    """The target of `obj[k] = v` / `del obj[k]`: lists and dicts only."""
    if type(obj) not in WRITABLE:
        _deny(f"changing a {_type_name(obj)}")
    return obj


def augmented_item(obj, key, op: str, value):
    """`obj[key] op= value`, with `obj` and `key` evaluated once, as Python does."""
    target = guarded_write(obj)
    target[key] = in_place(op, guarded_getitem(obj, key), value)


def guarded_call(function, /, *args, **kwargs):
    """Every call of a script: a size check before what would grow a value in one call,
    and the budget charged with what a constructor or builder made."""
    if id(function) in _CONSTRUCTOR_IDS:
        for arg in args:
            sized(arg)
        return charge(function(*args, **kwargs))
    owner = getattr(function, "__self__", None)
    kind = type(owner)
    if kind not in ATTRIBUTES:  # a helper, a builtin or the script's own function
        return function(*args, **kwargs)
    name = function.__name__  # a method the allow-list handed out
    _check_growth(owner, kind, name, args)
    before = len(owner) if name in _GROWERS else 0
    result = function(*args, **kwargs)
    if (kind, name) in BUILDERS:
        return charge(result)
    if name in _GROWERS:
        charge_items(len(owner) - before)
    return result


def _check_growth(owner, kind, name, args) -> None:
    if kind in (str, bytes) and name == "join" and len(args) == 1:
        parts = args[0]
        if isinstance(parts, (list, tuple)):
            total = sum(len(p) for p in parts if isinstance(p, (str, bytes))) + len(owner) * len(parts)
            if total > MAX_ITEMS:
                _refuse_growth("str.join")
    elif kind in (str, bytes) and name == "replace" and len(args) >= 2 \
            and isinstance(args[0], kind) and isinstance(args[1], kind):
        count = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        if len(owner) + count * max(len(args[1]) - len(args[0]), 0) > MAX_ITEMS:
            _refuse_growth("str.replace")
    elif name in ("extend", "update") and len(args) == 1 and hasattr(args[0], "__len__"):
        if len(owner) + len(args[0]) > MAX_ITEMS:
            _refuse_growth(f"{kind.__name__}.{name}")


def _refuse_growth(what: str):
    raise ScriptStop(f"script refused: {what} would exceed the limit of {MAX_ITEMS:,} items")


# the names the compiled code calls (script_policy.py writes them; none is a name a script may use)
GUARDS = {
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_write_": guarded_write,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": guarded_call,  # a call written with *args or **kwargs
    "_inplacevar_": in_place,
    "_call_": guarded_call,
    "_binop_": binop,
    "_sized_": sized,  # a value placed in an f-string: its text is as long as its weight, at most
    "_augitem_": augmented_item,
}
