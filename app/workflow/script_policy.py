"""How diagram scripts and conditions are compiled: RestrictedPython's policy, made
stricter for business rules.

RestrictedPython (the maintained library for running untrusted Python) rewrites every
attribute read, subscript, iteration, unpacking and augmented assignment into a call of
a guard, and refuses names beginning with "_". This policy adds: every arithmetic
operator and every call goes through a guard too (sizes and the memory budget,
script_limits.py), f-string values are sized, and a few statements a business rule
never needs are refused outright (imports, classes, `global`, `with`, bare `except`,
leaving a `finally` early, more than one unpacking per call or display).

What the guards let through is the allow-list of script_guards.py; this module only
decides what compiles. Refusals name their line.
"""
import ast
import re
from functools import lru_cache

from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations

from app.workflow.script_errors import SandboxViolation
from app.workflow.script_guards import ANY_ATTRIBUTE
from app.workflow.script_limits import SCRIPT_FILE

# Not in a script's scope anyway (script_guards / sandbox give only an allow-list of
# builtins); naming them is refused at deploy so that the analyst hears why at once.
FORBIDDEN_NAMES = {"eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr",
                   "delattr", "hasattr", "input", "breakpoint", "help", "memoryview", "type", "object", "super",
                   "dir", "id", "iter", "next", "BaseException", "SystemExit", "KeyboardInterrupt",
                   "GeneratorExit"}
MAX_FORMAT_WIDTH = 9999
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
           ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
           ast.BitAnd: "&", ast.MatMult: "@"}


def _call(name: str, node, *args, keywords=()):
    new = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=list(keywords))
    copy_locations(new, node)
    return new


class ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with this project's additions."""

    def __init__(self):
        super().__init__()
        self.refusals: list[tuple[str, int | None]] = []

    def error(self, node, info: str) -> None:
        super().error(node, info)
        self.refusals.append((info, getattr(node, "lineno", None)))

    # ---- refused outright
    def visit_Import(self, node):
        self.error(node, "imports are not allowed")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, "classes are not allowed")
        return node

    def visit_Global(self, node):
        self.error(node, "global/nonlocal are not allowed")
        return node

    visit_Nonlocal = visit_Global

    def visit_With(self, node):
        self.error(node, "with statements are not allowed")
        return node

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "a bare except is not allowed: name the exception to catch")
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node):
        for statement in node.finalbody:
            for inner in ast.walk(statement):
                if isinstance(inner, (ast.Return, ast.Break, ast.Continue)):
                    self.error(inner, "return, break or continue inside finally is not allowed")
        return super().visit_Try(node)

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f"name '{node.id}' is not allowed")
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        # the guard decides by type as the script runs; a name no allowed type has is
        # refused here already, with its line
        if not node.attr.startswith("_") and node.attr not in ANY_ATTRIBUTE:
            hint = ": use an f-string" if node.attr in ("format", "format_map") else ""
            self.error(node, f"attribute '{node.attr}' is not allowed{hint}")
        return super().visit_Attribute(node)

    # ---- guarded
    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        return _call("_binop_", node, ast.Constant(_BINOPS[type(node.op)]), node.left, node.right)

    def visit_AugAssign(self, node):
        if not isinstance(node.target, ast.Subscript):
            return super().visit_AugAssign(node)  # a name: _inplacevar_; an attribute: refused
        node = self.node_contents_visit(node)
        target = node.target
        call = _call("_augitem_", node, target.value, target.slice,
                     ast.Constant(IOPERATOR_TO_STR[type(node.op)]), node.value)
        statement = ast.Expr(value=call)
        copy_locations(statement, node)
        return statement

    def visit_Call(self, node):
        self._one_unpacking(node, node.args, [k for k in node.keywords if k.arg is None])
        node = super().visit_Call(node)
        if isinstance(node.func, ast.Name) and node.func.id == "_apply_":
            return node  # RestrictedPython's form for *args/**kwargs; _apply_ is guarded the same
        return _call("_call_", node, node.func, *node.args, keywords=node.keywords)

    def visit_List(self, node):
        self._one_unpacking(node, node.elts, [])
        return super().visit_List(node)

    def visit_Tuple(self, node):
        self._one_unpacking(node, node.elts, [])
        return super().visit_Tuple(node)

    def visit_Set(self, node):
        self._one_unpacking(node, node.elts, [])
        return super().visit_Set(node)

    def visit_Dict(self, node):
        self._one_unpacking(node, [], [k for k in node.keys if k is None])
        return super().visit_Dict(node)

    def _one_unpacking(self, node, elements, double_stars) -> None:
        """`[*a, *a, *a, …]` copies `a` once per star before any guard could count it."""
        if sum(isinstance(e, ast.Starred) for e in elements) + len(double_stars) > 1:
            self.error(node, "at most one * or ** unpacking per call or display")

    def visit_FormattedValue(self, node):
        if node.format_spec is not None:
            self._check_format_spec(node)
        node = self.node_contents_visit(node)
        node.value = _call("_sized_", node.value, node.value)
        return node

    def _check_format_spec(self, node) -> None:
        """f"{x:>8}" is fine; a computed spec or a width beyond MAX_FORMAT_WIDTH is not."""
        for part in node.format_spec.values:
            if not isinstance(part, ast.Constant):
                self.error(node, "computed format specifications are not allowed")
            elif any(int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", str(part.value))):
                self.error(node, f"format widths above {MAX_FORMAT_WIDTH} are not allowed")


def check_source(source: str, mode: str = "exec") -> ast.AST:
    """The script's guarded syntax tree; SandboxViolation (or SyntaxError) if it may not run."""
    tree = ast.parse(source, SCRIPT_FILE, mode=mode)
    policy = ScriptPolicy()
    tree = policy.visit(tree)
    if policy.refusals:
        reason, line = policy.refusals[0]
        raise SandboxViolation(reason, line)
    return ast.fix_missing_locations(tree)


@lru_cache(maxsize=2048)
def compiled(source: str, mode: str):
    """The guarded code object of a script ("exec") or condition ("eval")."""
    return compile(check_source(source, mode), SCRIPT_FILE, mode)
