"""A worker with no mouse (issue 19 item 12): logging in, 个人信息登记 from the 填报须知 to
【下一步】 with both ID-card images, and the 个人建设码 through the phone's collapsed menu,
all with Tab, Space and Enter — every control reachable and operable from the keyboard.
(班前签到's code entry by keyboard is in test_keyboard_and_screen_readers.py.)"""
import re

from playwright.sync_api import expect

from app.extensions import db
from app.models import Registration
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image
from tests.support.factories import PASSWORD
from tests.support.people import verified_person

TAB_LIMIT = 60  # more stops than any of these pages has


def tab_to(page, target, limit: int = TAB_LIMIT) -> None:
    """Presses Tab until `target` has the focus; fails when it never gets it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def choose_file_by_keyboard(page, target, payload: dict) -> None:
    """Tab reaches the file input; the file itself is picked in the browser's own dialog
    (Enter or Space opens it — native UI, not this page's), given here as the picked file."""
    tab_to(page, target)
    target.set_input_files(payload)


def test_a_newcomer_registers_by_keyboard_alone(world, new_page, shoot, tmp_path):
    newcomer = world.user("keyboard_only", name="王建国")
    page = new_page()  # a keyboard on a desktop (a phone's capture="environment" input goes to its camera)
    log_in_by_keyboard(page, newcomer.username)
    expect(page.get_by_role("heading", name=re.compile("王建国"))).to_be_visible()

    tab_to(page, page.get_by_role("link", name="去登记"))  # the home's first step
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("我已阅读以上填报须知"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="开始登记"))
    page.keyboard.press("Enter")

    tab_to(page, page.get_by_label("姓名", exact=True))
    page.keyboard.type("王建国")
    page.keyboard.press("Tab")
    page.keyboard.type(make_id_number(seq=newcomer.person.id))
    tab_to(page, page.get_by_label("手机号码"))
    page.keyboard.type("13912345678")
    image = make_id_image("PNG")
    choose_file_by_keyboard(page, page.locator("input[name='id_front']"),
                            {"name": "front.png", "mimeType": "image/png", "buffer": image})
    choose_file_by_keyboard(page, page.locator("input[name='id_back']"),
                            {"name": "back.png", "mimeType": "image/png", "buffer": image})
    shoot(page, "registration-filled-by-keyboard")
    tab_to(page, page.get_by_role("button", name="下一步"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("registration-status")).to_contain_text("已提交")
    shoot(page, "registration-submitted")
    db.session.expire_all()
    assert db.session.query(Registration).filter_by(person_id=newcomer.person.id).one().status == "submitted"
    db.session.rollback()  # end the read: the server thread writes to the same database



def log_in_by_keyboard(page, username: str) -> None:
    page.goto("/login")
    tab_to(page, page.get_by_label("用户名"))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_a_verified_worker_opens_the_code_from_the_phone_menu_by_keyboard(world, new_page, shoot):
    worker = verified_person(world, "李建华")
    page = new_page(phone=True)
    log_in_by_keyboard(page, worker.user.username)
    tab_to(page, page.get_by_role("button", name="菜单"))  # the collapsed menu of a phone
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#mainnav").get_by_role("link", name="个人建设码"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/me/code$"))
    expect(page.get_by_test_id("code-name")).to_have_text("李建华")
    expect(page.get_by_test_id("code-token")).not_to_be_empty()
    shoot(page, "code-by-keyboard")
