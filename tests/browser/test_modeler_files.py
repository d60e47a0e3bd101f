"""The modeler's files in Chromium (issue 20): an analyst imports a .bpmn file from disk
(GB18030, as a Chinese Windows tool saves it) that bpmnlint flags, sees bpmnlint's marker
on the element, fixes it on the canvas, runs the test cases and publishes a new version;
downloads the diagram; starts a blank executable one; publishes another process under an
existing key only after confirming; clears a form key; and is offered the timer's new
duration for its name. Every page runs under the real CSP (conftest.py fails a test on
any violation), so bpmnlint's bundle and overlays are checked against it too."""
import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition
from app.services import roles
from app.workflow import definitions
from tests.browser.steps.session import log_in_as
from tests.browser.test_hire_story import fresh
from tests.browser.test_modeler import open_editor, select_element
from tests.web.test_modeler_files import notice

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def analyst_page(world, new_page, username="analyst_files"):
    analyst = world.user(username, name="文分析", platform_role=roles.ANALYST)
    page = new_page(reduced_motion="reduce", accept_downloads=True)
    page.on("dialog", lambda dialog: dialog.accept())  # 【新建】/【导入】 ask before replacing the canvas
    log_in_as(page, analyst)
    return page


def lint_marker(page, element_id):
    """The overlay bpmn-js-bpmnlint draws on an element with a problem."""
    return page.locator(f".djs-overlays[data-container-id='{element_id}'] .bjsl-overlay")


def latest_version(key) -> int:
    return fresh(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                 .order_by(ProcessDefinition.version.desc()).limit(1))


def test_import_a_flagged_file_fix_it_run_the_cases_and_publish(world, new_page, shoot, tmp_path):
    page = analyst_page(world, new_page)
    open_editor(page)
    expect(page.locator(".bjsl-button")).to_have_text("规则检查：没有问题")
    # The palette never covers the diagram after fitting: the leftmost shape is right of it.
    palette_right = page.locator(".djs-palette").bounding_box()
    leftmost = min(box["x"] for box in (shape.bounding_box() for shape in
                                        page.locator(".djs-element.djs-shape").all()) if box)
    assert leftmost >= palette_right["x"] + palette_right["width"], (leftmost, palette_right)

    # A colleague's copy, saved as GB18030, in which the user task 立即离职 lost its name.
    flagged = (PROCESSES / "resignation.bpmn").read_text("utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="GB18030"?>').replace(
        '<bpmn:userTask id="immediate_resignation" name="立即离职">', '<bpmn:userTask id="immediate_resignation">')
    path = tmp_path / "离职-同事修改.bpmn"
    path.write_bytes(flagged.encode("gb18030"))
    page.locator("[data-import-file]").set_input_files(path)
    expect(page.locator("[data-status]")).to_contain_text("已导入 离职-同事修改.bpmn")

    marker = lint_marker(page, "immediate_resignation")
    expect(marker).to_be_visible()
    expect(page.locator(".bjsl-button")).to_have_text("规则检查：1 个错误，0 个警告")
    marker.hover()
    expect(marker.locator(".bjsl-dropdown")).to_contain_text("元素缺少名称")
    shoot(page, "bpmnlint-marker")

    select_element(page, "immediate_resignation")
    name = page.get_by_label("名称")
    name.fill("立即离职")
    name.press("Enter")
    expect(marker).to_have_count(0)
    expect(page.locator(".bjsl-button")).to_have_text("规则检查：没有问题")
    shoot(page, "fixed")

    page.get_by_role("button", name="运行测试用例").click()
    expect(page.locator("[data-status]")).to_have_text(re.compile(r"测试用例：通过 (\d+) 个，共 \1 个。"))
    page.get_by_role("button", name="发布", exact=True).click()
    page.locator("#publish-confirm").get_by_role("button", name="确认发布").click()
    expect(page.locator("[data-status]")).to_have_text("已发布为第 2 版。")
    shoot(page, "published")
    assert latest_version("resignation") == 2
    published = fresh(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.key == "resignation",
                                                               ProcessDefinition.version == 2))
    assert '<bpmn:userTask id="immediate_resignation" name="立即离职">' in published
    assert 'encoding="UTF-8"' in published


def test_a_file_that_is_not_bpmn_is_refused_and_the_diagram_stays(world, new_page, tmp_path):
    page = analyst_page(world, new_page, "analyst_png")
    open_editor(page)
    picture = tmp_path / "工地照片.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    page.locator("[data-import-file]").set_input_files(picture)
    expect(page.locator("[data-status]")).to_have_text("无法打开 工地照片.png：不是BPMN XML文件")
    expect(page.locator(".djs-element[data-element-id='immediate_resignation']")).to_have_count(1)


def test_download_gives_the_diagram_as_it_is_now(world, new_page):
    page = analyst_page(world, new_page, "analyst_download")
    open_editor(page)
    select_element(page, "enterprise_agree")
    name = page.get_by_label("名称")
    name.fill("企业确认离职")
    name.press("Enter")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载").click()
    assert download.value.suggested_filename == "resignation.bpmn"
    xml = Path(download.value.path()).read_text("utf-8")
    assert 'id="enterprise_agree" name="企业确认离职"' in xml and '<bpmn:process id="resignation"' in xml


def test_new_gives_a_blank_executable_diagram_named_by_the_key(world, new_page, shoot):
    page = analyst_page(world, new_page, "analyst_new")
    open_editor(page)
    page.get_by_role("button", name="新建").click()
    expect(page.locator("[data-status]")).to_have_text("已新建空白流程图（可执行，标识 resignation）。")
    expect(page.locator(".djs-element[data-element-id='immediate_resignation']")).to_have_count(0)
    shapes = page.locator(".djs-element.djs-shape").evaluate_all("els => els.map(e => e.dataset.elementId)")
    assert sorted(shapes) == ["StartEvent_1", "StartEvent_1_label"], shapes
    expect(page.locator(".djs-element[data-element-id='StartEvent_1_label']")).to_contain_text("开始")
    # bpmnlint says what a runnable process still lacks: an end event
    expect(page.locator(".bjsl-button")).to_contain_text("个错误")
    expect(lint_marker(page, "StartEvent_1")).to_be_visible()
    shoot(page, "blank")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载").click()
    xml = Path(download.value.path()).read_text("utf-8")
    assert re.search(r'<bpmn:process id="resignation" name="离职" isExecutable="true">', xml), xml
    assert "<bpmndi:BPMNShape" in xml


def test_another_process_under_an_existing_key_is_published_after_confirming(app, world, new_page, shoot, tmp_path):
    definitions.deploy(notice("notice", ["write", "review", "send"]), "test")
    db.session.commit()
    page = analyst_page(world, new_page, "analyst_replace")
    open_editor(page, "notice")
    # bpmn.io's defaults: process Process_1, not executable
    path = tmp_path / "diagram.bpmn"
    path.write_text(notice("Process_1", ["Activity_0a", "Activity_0b"], executable=False), "utf-8")
    page.locator("[data-import-file]").set_input_files(path)
    expect(page.locator("[data-status]")).to_contain_text("流程标识 Process_1 已改为 notice 并设为可执行")

    page.get_by_role("button", name="发布", exact=True).click()
    dialog = page.locator("#publish-confirm")
    dialog.get_by_role("button", name="确认发布").click()
    warning = dialog.get_by_test_id("replace-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("发布将以另一个流程替换“notice”")
    publish = dialog.get_by_role("button", name="确认发布")
    expect(publish).to_be_disabled()
    assert latest_version("notice") == 1
    shoot(page, "replace-confirmation")
    dialog.get_by_label("我确认以此流程图替换“notice”").check()
    publish.click()
    expect(page.locator("[data-status]")).to_have_text("已发布为第 2 版。")
    assert latest_version("notice") == 2


def test_a_form_key_can_be_cleared(world, new_page):
    page = analyst_page(world, new_page, "analyst_form")
    open_editor(page)
    select_element(page, "immediate_resignation")
    form = page.get_by_label("表单")
    expect(form).to_have_value("confirm")
    form.select_option(label="不使用表单")
    page.get_by_test_id("xml-view").locator("summary").click()
    source = page.locator("#xml-source")
    expect(source).not_to_have_value(re.compile(r'name="formKey" value="confirm"'))
    # the other user task keeps its own
    expect(source).to_have_value(re.compile(r'name="formKey" value="resignation_agree"'))
    page.get_by_role("button", name="校验").click()
    expect(page.locator("[data-problems] li[data-problem='immediate_resignation']")).to_contain_text("表单")
    select_element(page, "enterprise_agree")
    expect(form).to_have_value("resignation_agree")
    select_element(page, "immediate_resignation")
    expect(form).to_have_value("")


def test_a_changed_timer_offers_to_update_its_name(world, new_page, shoot):
    page = analyst_page(world, new_page, "analyst_timer")
    open_editor(page)
    select_element(page, "waiting_period")
    timer = page.get_by_label("定时器时长")
    timer.fill("PT48H")
    timer.press("Enter")
    offer = page.locator("[data-label-offer]")
    expect(offer).to_contain_text("名称中的“24小时”改为“48小时”？")
    expect(page.get_by_label("名称")).to_have_value("24小时未同意")  # not changed by itself
    shoot(page, "label-offer")
    offer.get_by_role("button", name="更新名称").click()
    expect(page.get_by_label("名称")).to_have_value("48小时未同意")
    expect(offer).to_be_hidden()
    expect(page.locator(".djs-element[data-element-id='waiting_period_label']")).to_contain_text("48小时未同意")

    timer.fill("P3D")
    timer.press("Enter")
    expect(offer).to_contain_text("名称中的“48小时”改为“3天”？")
    offer.get_by_role("button", name="保留").click()
    expect(offer).to_be_hidden()
    expect(page.get_by_label("名称")).to_have_value("48小时未同意")
