"""What a two-task instance costs the database: its start, then each task fetched and
completed through the API (POST /api/v1/tasks/<id>/complete), counted with a
before_cursor_execute listener. A new query on this path fails here: if it is needed,
say why in the budget below."""
import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.workflow import history, runtime
from tests.support.factories import auth, token

KEY = "simple_approval"
DATA = {"approve": {"decision": "agree", "comment": ""}, "acknowledge": {"confirm": True}}

# Statements per step, the token check aside (the sign-in work's own budget, below).
BUDGET = {
    # the subject in words (the person and the enterprise in one SELECT; the person's
    # account for the person lane comes with it), the instance with its state, the first
    # inbox row. Its "started" is the instance row itself (app/workflow/history.py).
    "start": 3,
    # the task with its instance and definition (one SELECT), the instance's versioned
    # UPDATE, the completed row with the form as submitted (the history's record of it),
    # the next task's row
    "approve": 4,
    # the same without a next row; "completed" is the instance row's completed_at
    "acknowledge": 3,
}
# On PostgreSQL a step's writes are one statement (rows.write_step): its reads and that.
BUDGET_POSTGRESQL = {"start": 2, "approve": 2, "acknowledge": 2}
TOKEN_CHECKS_AT_MOST = 1  # per API request


class Counter:
    def __init__(self):
        self.statements, self.token_checks, self.commits = [], 0, 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self.statement)
        event.listen(db.engine, "commit", self.commit)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self.statement)
        event.remove(db.engine, "commit", self.commit)

    def statement(self, _conn, _cursor, sql, *_args):
        if re.search(r"\bFROM api_token\b", sql):
            self.token_checks += 1
        else:
            self.statements.append(sql.split("\n")[0][:120])

    def commit(self, _conn):
        self.commits += 1


def open_task_id(instance_id) -> int:
    return db.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == "open"))


def two_task_instance(client, parties, tokens) -> dict:
    """{step: [statements]}, token checks and commits of one instance, start to end."""
    steps = {}
    with Counter() as counter:
        instance = runtime.start(KEY, dict(parties["subject"]), actor=parties["hr"])
        db.session.commit()
        steps["start"], counter.statements = counter.statements, []
    instance_id = instance.id
    for key in ("approve", "acknowledge"):
        task_id = open_task_id(instance_id)  # the caller found it in their inbox list
        with Counter() as step:
            response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA[key]},
                                   headers=auth(tokens[key]))
        assert response.status_code == 200, response.get_json()
        steps[key] = step.statements
        counter.token_checks += step.token_checks
        counter.commits += step.commits
    assert response.get_json()["status"] == "completed"
    return {"steps": steps, "token_checks": counter.token_checks, "commits": counter.commits,
            "instance_id": instance_id}


@pytest.fixture
def tokens(client, parties, deploy):
    deploy(KEY)
    return {"approve": token(client, parties["hr"]), "acknowledge": token(client, parties["person_user"])}


def test_a_two_task_instance_costs_its_budget_of_statements_and_three_commits(client, parties, tokens):
    two_task_instance(client, parties, tokens)  # the first start of a key also reads its latest version
    measured = two_task_instance(client, parties, tokens)
    counts = {step: len(statements) for step, statements in measured["steps"].items()}
    budget = BUDGET_POSTGRESQL if db.engine.dialect.name == "postgresql" else BUDGET
    assert counts == budget, "\n".join(f"{step}: {statements}" for step, statements in measured["steps"].items())
    assert sum(counts.values()) <= 10
    assert measured["commits"] == 3  # one durable commit per user action: start and each completion
    assert measured["token_checks"] <= 2 * TOKEN_CHECKS_AT_MOST


def test_the_counted_path_keeps_the_history_and_the_inbox_right(client, parties, tokens):
    """What the fewer statements write is still all there: the history in order with who
    did what and what they submitted, each inbox row closed by whom, the person's task
    offered to the person's account only."""
    measured = two_task_instance(client, parties, tokens)
    instance_id = measured["instance_id"]
    steps = history.of(db.session.get(ProcessInstance, instance_id))
    assert [(s.kind, s.task_key, s.actor_id) for s in steps] == [
        ("started", None, parties["hr"].id), ("task_completed", "approve", parties["hr"].id),
        ("task_completed", "acknowledge", parties["person_user"].id), ("completed", None, None)]
    assert steps[1].detail == {"data": DATA["approve"]} and steps[2].detail == {"data": DATA["acknowledge"]}
    assert steps[0].detail["version"] == 1
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                              .order_by(HumanTask.id)).all()
    assert [(r.task_key, r.status, r.completed_by_id) for r in rows] == [
        ("approve", "completed", parties["hr"].id), ("acknowledge", "completed", parties["person_user"].id)]
    assert rows[1].candidate_user_id == parties["person_user"].id and rows[1].candidate_role is None
    assert rows[0].candidate_role == "enterprise_hr"
    assert rows[0].candidate_enterprise_id == parties["enterprise"].id


def test_a_task_fetched_with_its_instance_is_refused_to_others_and_twice(client, parties, tokens, world):
    """The one-statement fetch still checks the candidate rule and the row's state."""
    instance = runtime.start(KEY, dict(parties["subject"]), actor=parties["hr"])
    db.session.commit()
    task_id = open_task_id(instance.id)
    stranger = token(client, world.user())
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA["approve"]},
                       headers=auth(stranger)).status_code == 404
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA["approve"]},
                       headers=auth(tokens["approve"])).status_code == 200
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA["approve"]},
                       headers=auth(tokens["approve"])).status_code in (404, 409)
