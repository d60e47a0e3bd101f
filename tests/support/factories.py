"""Realistic data through the real services: accounts, enterprises, projects."""
import itertools
import re

from app.extensions import db
from app.models.projects import LABOR_SUBCONTRACTOR
from app.services import accounts, enterprises, projects, roles
from tests.support.identifiers import make_uscc

PASSWORD = "secret123"
SURNAMES = "王李张刘陈杨黄赵吴周"


class World:
    def __init__(self, app):
        self.app = app
        self._seq = itertools.count(1)

    def user(self, username=None, *, name=None, platform_role=None):
        n = next(self._seq)
        user = accounts.sign_up(username or f"user{n}", PASSWORD, name or f"{SURNAMES[n % 10]}测试{n}",
                                f"139{n:08d}", method=self.app.config["PASSWORD_HASH_METHOD"])
        if platform_role:
            roles.grant(user, platform_role)
        db.session.commit()
        return user

    def admin(self):
        return self.user(f"admin{next(self._seq)}", platform_role=roles.ADMIN)

    def enterprise(self, name=None, legal_rep=None):
        n = next(self._seq)
        legal_rep = legal_rep or self.user(f"legal{n}")
        enterprise = enterprises.create_enterprise(None, name or f"测试建设{n}有限公司", make_uscc(n),
                                                   legal_rep.username)
        db.session.commit()
        enterprise.legal_rep = legal_rep
        return enterprise

    def hr_admin(self, enterprise):
        user = self.user()
        enterprises.add_hr_admin(None, enterprise, user.username)
        db.session.commit()
        return user

    def project(self, gc, *, subcontractors=(), code=None):
        n = next(self._seq)
        project = projects.create_project(
            None, code=code or f"PRJ-{n:04d}", name=f"测试项目{n}", address=f"上海市浦东新区测试路{n}号",
            gc_enterprise=gc, bank_name="中国建设银行上海分行", account_no=f"3105016139360000{n:04d}",
            account_name=f"{gc.name}农民工工资专用账户")
        for sub in subcontractors:
            projects.add_participant(None, project, sub.id, LABOR_SUBCONTRACTOR)
        db.session.commit()
        return project

    def project_manager(self, project, enterprise):
        """A PM grant (the designation flow itself arrives with allocation)."""
        user = self.user()
        roles.grant(user, roles.PROJECT_MANAGER, enterprise_id=enterprise.id, project_id=project.id)
        db.session.commit()
        return user


def token(client, user_or_name, password=PASSWORD) -> str:
    username = getattr(user_or_name, "username", user_or_name)
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def auth(tok: str) -> dict:
    return {"Authorization": f"Bearer {tok}"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def submit(client, url, data, *, page=None):
    """Posts a page's form the way a browser does: GET it, take its CSRF token, POST."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)})


def log_in(client, user_or_name, password=PASSWORD):
    username = getattr(user_or_name, "username", user_or_name)
    response = submit(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
