"""The directions of dependency of ARCHITECTURE.md, read from the code's imports (at any
depth of a module, so that an import inside a function does not hide a circle): the
engine adapter knows nothing of the domain, and the modules that once imported each
other stay one-way."""
import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def imported(path: Path) -> set[str]:
    """Every module a file imports, `from a.b import c` as both a.b and a.b.c."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def module_file(dotted: str) -> Path:
    return APP.parent / (dotted.replace(".", "/") + ".py")


@pytest.mark.parametrize("folder", ["workflow", "common"])
def test_the_engine_adapter_and_the_shared_pieces_import_nothing_of_the_domain(folder):
    above = ("app.services", "app.handlers", "app.web", "app.api", "app.forms", "app.cli")
    offending = {f"{path.relative_to(APP.parent)}: {name}" for path in (APP / folder).glob("*.py")
                 for name in imported(path) if name.startswith(above)}
    assert not offending


@pytest.mark.parametrize("upper, lower", [("app.services.site", "app.services.signin"),
                                          ("app.web.staff", "app.web.resignation_agreements"),
                                          ("app.web.separation", "app.web.resignation_agreements")])
def test_a_module_builds_on_another_without_being_imported_back(upper, lower):
    assert lower in imported(module_file(upper))
    assert upper not in imported(module_file(lower))


def test_sign_in_and_the_separation_pages_do_not_import_their_neighbours():
    assert "app.services.site" not in imported(module_file("app.services.signin"))
    assert "app.web.separation" not in imported(module_file("app.web.staff"))
    assert "app.web.staff" not in imported(module_file("app.web.separation"))
