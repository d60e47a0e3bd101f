"""The one permission helper, across roles and scopes."""
import pytest

from app.extensions import db
from app.services import roles
from app.services.access import may, visible_projects


@pytest.fixture
def setting(world):
    gc, sub, stranger = world.enterprise(), world.enterprise(), world.enterprise()
    project = world.project(gc, subcontractors=[sub])
    return {
        "project": project, "gc": gc, "sub": sub,
        "admin": world.admin(),
        "gc_legal": gc.legal_rep, "gc_hr": world.hr_admin(gc),
        "gc_pm": world.project_manager(project, gc), "sub_pm": world.project_manager(project, sub),
        "sub_legal": sub.legal_rep, "stranger": stranger.legal_rep, "person": world.user(),
    }


EXPECTED = {
    # action: users allowed (everyone else refused)
    "project.view": {"admin", "gc_legal", "gc_hr", "gc_pm", "sub_pm", "sub_legal"},
    "project.manage_participants": {"gc_legal", "gc_hr", "gc_pm"},
    "audit.view": {"admin"},
    "enterprise.create": {"admin"},
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_who_may(setting, action):
    obj = setting["project"] if action.startswith("project.") else None
    users = [k for k in setting if k not in ("project", "gc", "sub")]
    allowed = {k for k in users if may(setting[k], action, obj)}
    assert allowed == EXPECTED[action]


def test_enterprise_scoped_rules(setting):
    gc = setting["gc"]
    assert may(setting["gc_legal"], "enterprise.manage_hr_admins", gc)
    assert not may(setting["gc_hr"], "enterprise.manage_hr_admins", gc)
    assert not may(setting["stranger"], "enterprise.view", gc)
    assert may(setting["gc_legal"], "project.create", gc) and may(setting["gc_hr"], "project.create", gc)
    assert not may(setting["sub_legal"], "project.create", gc)


def test_visible_projects_matches_view_rule(setting, world):
    other_project = world.project(world.enterprise())
    for key in ("admin", "gc_legal", "sub_pm", "stranger", "person"):
        user = setting[key]
        listed = set(db.session.scalars(visible_projects(user)))
        for project in (setting["project"], other_project):
            assert (project in listed) == may(user, "project.view", project), (key, project.id)


def test_disabled_account_may_nothing(setting):
    admin = setting["admin"]
    admin.active = False
    assert not may(admin, "audit.view")
    assert [g.role for g in admin.grants] == [roles.ADMIN]  # the grant stays; the account is what is off
