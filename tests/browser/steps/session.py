"""Logging in, reading the database behind the live server, and small page helpers."""
import re
from dataclasses import dataclass

from playwright.sync_api import expect

from app.extensions import db
from tests.support.factories import PASSWORD


@dataclass
class Actor:
    """One person at one device: their browser page and their account."""

    page: object
    username: str
    name: str
    password: str = PASSWORD


def log_in(actor: Actor) -> None:
    """A fresh login (cookies cleared first): after time travel an old session cookie
    may be past its lifetime, so each phase of a story logs in again, in its own time."""
    page = actor.page
    page.context.clear_cookies()
    page.goto("/login")
    page.locator("[name='username']").fill(actor.username)
    page.locator("[name='password']").fill(actor.password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(actor.username)  # collapsed on a phone


def log_in_as(page, user) -> None:
    """Logs the test's `user` (made with the support factories' password) in on `page`."""
    log_in(Actor(page, user.username, user.name))


def flash(page):
    """The first flashed message on the page."""
    return page.get_by_role("alert").first


def path_is(path: str):
    """A URL matcher for expect(page).to_have_url: this exact path, any host and query."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def open_menu(page) -> None:
    """Opens the phone's collapsed navigation (【菜单】) and waits until it has finished
    unfolding: a click during Bootstrap's height transition can miss a link near the
    bottom of the menu."""
    page.get_by_role("button", name="菜单").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))


def confirm_in(page, modal_id: str, button: str) -> None:
    """Presses `button` in the Bootstrap dialog #modal_id once it is open."""
    modal = page.locator(f"#{modal_id}")
    expect(modal).to_be_visible()
    modal.get_by_role("button", name=button, exact=True).click()


def fresh(query):
    """One value read from the database the live server writes to."""
    db.session.expire_all()
    value = db.session.scalar(query)
    db.session.rollback()  # end the read: the server thread writes to the same database
    return value


def rows(query) -> list:
    db.session.expire_all()
    value = db.session.execute(query).all()
    db.session.rollback()
    return value
