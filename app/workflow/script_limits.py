"""Resource limits for diagram scripts and conditions: what one evaluation may spend.
The allow-list (script_guards.py) stops escapes; this stops a script from exhausting the
worker that runs it, whether by mistake (a loop that never ends) or on purpose.

- Steps: a trace function counts the lines a script executes (every loop iteration is
  one) and stops it past MAX_STEPS, or once it has run MAX_SECONDS. Every line does
  bounded work (the limits below), so the check between lines bounds the whole
  evaluation: a worker is never held past its request timeout.
- Size: an operation that can multiply a value's size in one step is checked before the
  value is built: nothing beyond MAX_ITEMS items or characters (nested containers count
  as their repr would print them), no integer beyond MAX_INT_BITS bits — integer size
  is checked on every arithmetic operation.
- Memory: every new value an evaluation builds (results of operators, slices, string
  methods, container constructors) is charged to a budget of MAX_TOTAL_ITEMS; 300
  distinct 1 MB strings stop at the fifth.

The limits are generous for business rules (a few fields, a few dozen items) and far
below what would hurt a worker. A limit reached raises ScriptStop, a BaseException, so
that a script's own `except Exception` cannot swallow it; within_limits turns it into
ScriptLimitExceeded (a guard's ScriptDenied into SandboxViolation) at its boundary.
"""
import operator
import re
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass

from app.workflow.script_errors import SandboxViolation, ScriptDenied, ScriptLimitExceeded, ScriptStop

MAX_STEPS = 1_000_000
MAX_SECONDS = 5.0
MAX_ITEMS = 1_000_000
MAX_TOTAL_ITEMS = 4_000_000
MAX_INT_BITS = 100_000
SCRIPT_FILE = "<bpmn-script>"

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_NESTED = (*_CONTAINERS, str, bytes)
# a %-format with a computed width or precision, or one of five digits or more
_WIDE_FORMAT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{5,})|%(?:\([^)]*\))?[-+ #0]*\d*\.(?:\*|\d{5,})")


@dataclass
class Budget:
    steps: int = MAX_STEPS
    items: int = MAX_TOTAL_ITEMS
    deadline: float = 0.0


_BUDGET: ContextVar[Budget | None] = ContextVar("script_budget", default=None)


def weight(value, budget: int = MAX_ITEMS) -> int:
    """Slots and characters in `value`, nested containers and strings included (shared
    references count each time, as a repr would print them); stops past `budget`."""
    total, stack = 0, [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, _CONTAINERS):
            total += len(item)
            members = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend(m for m in members if isinstance(m, _NESTED))
    return total


def _refuse(what: str):
    raise ScriptStop(f"script refused: {what} would exceed the limit of {MAX_ITEMS:,} items")


def sized(value):
    """`value` itself, if its size is within the limit."""
    if isinstance(value, (_CONTAINERS, str, bytes)) and weight(value) > MAX_ITEMS:
        _refuse("a value")
    return value


def charge(value):
    """`value`, a value the script has just built, charged to the evaluation's budget."""
    if isinstance(value, _NESTED):
        budget = _BUDGET.get()
        if budget is not None:
            charge_items(weight(value, budget.items + 1))
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ScriptStop(f"script refused: an integer beyond {MAX_INT_BITS:,} bits")
    return value


def charge_items(count: int) -> None:
    """`count` items the script has just added to a value, charged to the budget."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.items -= count
        if budget.items < 0:
            raise ScriptStop(f"script refused: it built more than {MAX_TOTAL_ITEMS:,} items in all")


def _check(op: str, a, b) -> None:
    """Refuses, before it is computed, a result beyond the size limits."""
    if op == "*":
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise ScriptStop(f"script refused: a product beyond {MAX_INT_BITS:,} bits")
            return
        for seq, times in ((a, b), (b, a)):
            if isinstance(seq, _SEQUENCES) and isinstance(times, int) and times > 0 \
                    and weight(seq, MAX_ITEMS // times + 1) * times > MAX_ITEMS:
                _refuse("repetition")
    elif op == "+":
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ITEMS:
            _refuse("concatenation")
    elif op == "**":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 \
                and a.bit_length() * b > MAX_INT_BITS:
            raise ScriptStop(f"script refused: a power beyond {MAX_INT_BITS:,} bits")
    elif op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > MAX_INT_BITS:
            raise ScriptStop(f"script refused: a shift beyond {MAX_INT_BITS:,} bits")
    elif op == "%" and isinstance(a, (str, bytes)):
        if _WIDE_FORMAT.search(a.decode("latin-1") if isinstance(a, bytes) else a):
            _refuse("a formatting width")
        sized(b)


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
             ">>": operator.rshift, "|": operator.or_, "^": operator.xor, "&": operator.and_,
             "@": operator.matmul}
_IN_PLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv,
             "//": operator.ifloordiv, "%": operator.imod, "**": operator.ipow, "<<": operator.ilshift,
             ">>": operator.irshift, "|": operator.ior, "^": operator.ixor, "&": operator.iand,
             "@": operator.imatmul}


def binop(op: str, a, b):
    """`a op b`, checked before and charged after."""
    _check(op, a, b)
    return charge(OPERATORS[op](a, b))


def in_place(op: str, a, b):
    """`a op= b` (op as "+=" or "+"), keeping in-place semantics (a list += extends it)."""
    op = op.rstrip("=") if len(op) > 1 and op.endswith("=") else op
    if op == "+" and isinstance(a, list) and not isinstance(b, _SEQUENCES):
        b = list(b)  # list += accepts any iterable
    _check(op, a, b)
    before = len(a) if isinstance(a, list) else 0
    result = _IN_PLACE[op](a, b)
    if result is a and isinstance(a, list):  # grown in place: only what was added is new
        charge_items(len(a) - before)
        return a
    return charge(result)


def bounded_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_ITEMS:
        _refuse("range()")
    return numbers


def numeric_sum(iterable, start=0):
    """sum() of numbers: adding up lists or strings with it would build them quadratically."""
    if not isinstance(start, (int, float)):
        raise ScriptStop("script refused: sum() adds numbers only")
    return charge(sum(iterable, start))


def within_limits(run):
    """Runs `run()` (a script or condition compiled as SCRIPT_FILE) within one budget of
    steps, time and built items; code it calls outside SCRIPT_FILE is not traced.
    Nested evaluations (a condition evaluated by a helper) share the outer budget."""
    if _BUDGET.get() is not None:
        return run()
    budget = Budget(deadline=time.perf_counter() + MAX_SECONDS)

    def count(frame, event, _arg):
        if event == "line":
            budget.steps -= 1
            if budget.steps < 0:
                raise ScriptStop(f"script stopped: more than {MAX_STEPS:,} steps")
            if time.perf_counter() > budget.deadline:
                raise ScriptStop(f"script stopped: it ran more than {MAX_SECONDS:g} seconds")
        return count

    def enter(frame, _event, _arg):
        return count if frame.f_code.co_filename == SCRIPT_FILE else None

    token = _BUDGET.set(budget)
    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        return run()
    except ScriptDenied as denied:
        raise SandboxViolation(str(denied)) from None
    except ScriptStop as stop:
        raise ScriptLimitExceeded(str(stop)) from None
    finally:
        sys.settrace(previous)
        _BUDGET.reset(token)
