"""Command-line tools: create-admin and the demo world."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enterprise, Participant, Person, Project, User
from app.services import idcard, roles, uscc


def test_create_admin_then_log_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "root", "--password", "Root12345"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert roles.has_role(user, roles.ADMIN)
    assert client.post("/api/v1/auth/token", json={"username": "root", "password": "Root12345"}).status_code == 200


def test_create_admin_makes_an_existing_user_admin(app, world):
    world.user("someone")
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "someone", "--password", "x"])
    assert result.exit_code == 0
    assert roles.has_role(db.session.scalar(select(User).where(User.username == "someone")), roles.ADMIN)


def test_demo_data_builds_a_believable_world_once(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
              for m in (User, Enterprise, Project, Participant)}
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert counts == {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                      for m in (User, Enterprise, Project, Participant)}
    assert counts["Enterprise"] == 3 and counts["Project"] == 2 and counts["Participant"] == 6
    for enterprise in db.session.scalars(select(Enterprise)):
        assert uscc.normalize_uscc(enterprise.uscc) == enterprise.uscc
    numbers = db.session.scalars(select(Person.id_number).where(Person.id_number.is_not(None))).all()
    assert len(numbers) >= 6 and all(idcard.normalize_id_number(n) == n for n in numbers)
    for username in ("admin", "datacenter", "analyst", "gc_legal", "gc_hr", "labor_legal", "worker1"):
        response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo2026"})
        assert response.status_code == 200, username


def test_demo_world_is_ready_for_hiring(app):
    from app.models import Employment, Enterprise, Person, Registration
    from app.services import accounts, employment
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.status == "verified")) >= 9
    labor = db.session.scalar(select(Enterprise).where(Enterprise.name == "浦江劳务有限公司"))
    hr = accounts.find_user("labor_hr")
    worker6 = accounts.find_user("worker6").person
    hired = employment.request_hire(hr, labor, worker6.name, worker6.id_number)
    db.session.commit()
    assert hired.status == "pending_consent"
    worker1 = accounts.find_user("worker1").person
    active = db.session.scalar(select(Employment).where(Employment.person_id == worker1.id))
    assert (active.status, active.enterprise_id) == ("active", labor.id)
    assert isinstance(db.session.get(Person, worker1.id).id_number, str)
    gc_pm = accounts.find_user("gc_pm")
    assert roles.has_role(gc_pm, roles.PROJECT_MANAGER)  # designated on the first project
