"""Every message has an English translation, and the catalogue is up to date with the code."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = ["_l", "lazy_gettext", "N_", "RuleViolation", "Conflict", "NotFound", "Forbidden", "required",
            "TaskConflict", "WorkflowFailure"]


def _extract(tmp_path) -> set[str]:
    out = tmp_path / "messages.pot"
    args = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
            "--no-location", "-o", str(out)]
    for k in KEYWORDS:
        args += ["-k", k]
    subprocess.run(args + ["."], cwd=ROOT, check=True, capture_output=True)
    # a plural message's id is (singular, plural): the singular stands for it
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(out.open("rb")) if m.id}


def test_every_message_in_the_code_has_an_english_translation(tmp_path):
    catalogue = {(m.id[0] if isinstance(m.id, tuple) else m.id): (m.string[0] if isinstance(m.string, tuple) else m.string)
                 for m in read_po((ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb")) if m.id}
    untranslated = sorted(i for i in _extract(tmp_path) if not catalogue.get(i))
    assert not untranslated, "run `make translations` and translate: " + ", ".join(untranslated)


def test_makefile_extraction_keywords_match(tmp_path):
    makefile = (ROOT / "Makefile").read_text()
    for k in KEYWORDS:
        assert f"-k {k}" in makefile
