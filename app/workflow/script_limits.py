"""Resource limits for diagram scripts and conditions. The syntax check (sandbox.py)
stops escapes; this stops a script from exhausting the worker that runs it, whether by
mistake (a loop that never ends) or on purpose (`[0] * 10**10`).

- Steps: while a script runs, a trace function counts the lines it executes (every
  loop iteration is one) and stops it past MAX_STEPS.
- Size: every operation that can multiply a value's size in one step — repetition,
  concatenation, powers, shifts, %-formatting, f-string values, str(), str.join,
  str.replace, list.extend, range() — goes through a check that refuses, before the
  value is built, anything beyond MAX_ITEMS items or characters (nested containers
  count as their repr would print them) or integers beyond MAX_INT_BITS bits. What a
  script leaves in the task data is held to the same size, since it is serialized
  with the instance.
- Padding methods and format widths are refused by the syntax check (sandbox.py).

The limits are generous for business rules (a few fields, a few dozen items) and far
below what would hurt a worker.
"""
import ast
import copy
import operator
import re
import sys

MAX_STEPS = 1_000_000
MAX_ITEMS = 1_000_000
MAX_INT_BITS = 100_000
SCRIPT_FILE = "<bpmn-script>"

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_NESTED = (*_CONTAINERS, str, bytes)
# a %-format with a computed width or precision, or one of five digits or more
_WIDE_FORMAT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{5,})|%(?:\([^)]*\))?[-+ #0]*\d*\.(?:\*|\d{5,})")


class ScriptLimitExceeded(Exception):
    """A script went beyond a resource limit; the instance stops with this message."""


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
    raise ScriptLimitExceeded(f"script refused: {what} would exceed the limit of {MAX_ITEMS:,} items")


def sized(value):
    """`value` itself, if its size is within the limit."""
    if isinstance(value, (_CONTAINERS, str, bytes)) and weight(value) > MAX_ITEMS:
        _refuse("a value")
    return value


def _check(op: str, a, b) -> None:
    if op == "*":
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
            raise ScriptLimitExceeded(f"script refused: a power beyond {MAX_INT_BITS:,} bits")
    elif op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > MAX_INT_BITS:
            raise ScriptLimitExceeded(f"script refused: a shift beyond {MAX_INT_BITS:,} bits")
    elif op == "%" and isinstance(a, (str, bytes)):
        if _WIDE_FORMAT.search(a.decode("latin-1") if isinstance(a, bytes) else a):
            _refuse("a formatting width")
        sized(b)


_OPERATORS = {"*": operator.mul, "+": operator.add, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}
_IN_PLACE = {"*": operator.imul, "+": operator.iadd, "**": operator.ipow, "<<": operator.ilshift,
             "%": operator.imod}


def binop(op: str, a, b):
    _check(op, a, b)
    return _OPERATORS[op](a, b)


def in_place(op: str, a, b):
    """`a op= b`, keeping in-place semantics (a list += extends the same list)."""
    if op == "+" and isinstance(a, list) and not isinstance(b, _SEQUENCES):
        b = list(b)  # list += accepts any iterable
    _check(op, a, b)
    return _IN_PLACE[op](a, b)


def method(obj, name: str, *args, **kwargs):
    """obj.join / obj.replace / obj.extend, with the result's size checked first."""
    if name == "join" and isinstance(obj, (str, bytes)) and len(args) == 1 and not kwargs:
        parts = list(args[0])
        if sum(len(p) for p in parts if isinstance(p, (str, bytes))) + len(obj) * len(parts) > MAX_ITEMS:
            _refuse("str.join")
        return obj.join(parts)
    if name == "replace" and isinstance(obj, (str, bytes)) and len(args) >= 2 \
            and isinstance(args[0], type(obj)) and isinstance(args[1], type(obj)):
        count = obj.count(args[0]) if args[0] else len(obj) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        if len(obj) + count * max(len(args[1]) - len(args[0]), 0) > MAX_ITEMS:
            _refuse("str.replace")
    if name == "extend" and isinstance(obj, list) and len(args) == 1:
        items = list(args[0])
        if len(obj) + len(items) > MAX_ITEMS:
            _refuse("list.extend")
        return obj.extend(items)
    return getattr(obj, name)(*args, **kwargs)


def bounded_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_ITEMS:
        _refuse("range()")
    return numbers


def numeric_sum(iterable, start=0):
    """sum() of numbers: adding up lists or strings with it would build them quadratically."""
    if not isinstance(start, (int, float)):
        raise ScriptLimitExceeded("script refused: sum() adds numbers only")
    return sum(iterable, start)


# the names the rewritten code calls; they begin with "_", so no script can name them itself
HELPERS = {"__rn_binop": binop, "__rn_in_place": in_place, "__rn_method": method, "__rn_sized": sized}
BUILTINS = {"range": bounded_range, "sum": numeric_sum}

_GUARDED_OPS = {ast.Mult: "*", ast.Add: "+", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_GUARDED_METHODS = {"join", "replace", "extend"}


def _call(name: str, *args, keywords=()):
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=list(keywords))


class _Guard(ast.NodeTransformer):
    """Routes the size-multiplying operations of a checked tree through the helpers."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        return ast.copy_location(_call("__rn_binop", ast.Constant(op), node.left, node.right), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        current = copy.deepcopy(node.target)
        current.ctx = ast.Load()
        value = _call("__rn_in_place", ast.Constant(op), current, node.value)
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GUARDED_METHODS:
            return ast.copy_location(_call("__rn_method", func.value, ast.Constant(func.attr), *node.args,
                                           keywords=node.keywords), node)
        if isinstance(func, ast.Name) and func.id == "str" and node.args:
            node.args[0] = _call("__rn_sized", node.args[0])
        return node

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        node.value = _call("__rn_sized", node.value)
        return node


def guarded(tree: ast.AST) -> ast.AST:
    """The checked tree with its size-multiplying operations guarded."""
    return ast.fix_missing_locations(_Guard().visit(tree))


def within_steps(run):
    """Runs `run()` (a script or condition compiled as SCRIPT_FILE), stopping it past
    MAX_STEPS executed lines; other code it calls (helpers) is not counted."""
    left = [MAX_STEPS]

    def count(frame, event, _arg):
        if event == "line":
            left[0] -= 1
            if left[0] < 0:
                raise ScriptLimitExceeded(f"script stopped: more than {MAX_STEPS:,} steps")
        return count

    def enter(frame, _event, _arg):
        return count if frame.f_code.co_filename == SCRIPT_FILE else None

    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        return run()
    finally:
        sys.settrace(previous)
