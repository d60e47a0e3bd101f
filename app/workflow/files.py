"""Where the released diagrams live: processes/*.bpmn and their processes/<key>.cases.json.
Standard library only, so the child process that runs cases (isolation.py) can know it
without loading the database layer that definitions belongs to."""
from pathlib import Path

PROCESSES_DIR = Path(__file__).resolve().parent.parent.parent / "processes"


def cases_path(key: str) -> Path:
    return PROCESSES_DIR / f"{key}.cases.json"
