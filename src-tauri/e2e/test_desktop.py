"""End-to-end test of the real 一窗 desktop app, driven through tauri-driver
(WebKitWebDriver) under Xvfb. Started by scripts/test-desktop.sh, which sets:

  E2E_APP        the yichuang-desktop binary
  E2E_DRIVER     tauri-driver URL (http://127.0.0.1:PORT)
  E2E_DB         a fresh database path (the app seeds a demo station there)
  E2E_SHOTS      where screenshots go (one per step)
  E2E_SPOOL      where the stand-in `lp` (YICHUANG_LP) copies printed files
  E2E_DISPLAY    the Xvfb display, for screenshots
  E2E_COUNTY_URL a running county server (real PostgreSQL) to enrol with
  E2E_ENROL_CODE a one-time enrolment code for station DEMO01
  E2E_COUNTY     command prefix that runs `yichuang-county` against that county's database

The app's environment (YICHUANG_NOW, YICHUANG_LP) is inherited from tauri-driver.
"""

import os
import re
import shutil
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException,
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["E2E_APP"]
DRIVER = os.environ.get("E2E_DRIVER", "http://127.0.0.1:4444")
DB = os.environ["E2E_DB"]
SHOTS = os.environ["E2E_SHOTS"]
SPOOL = os.environ["E2E_SPOOL"]
COUNTY_URL = os.environ["E2E_COUNTY_URL"]
ENROL_CODE = os.environ["E2E_ENROL_CODE"]
COUNTY = os.environ["E2E_COUNTY"].split()

os.makedirs(SHOTS, exist_ok=True)
step_no = 0


T0 = time.time()


def log(msg):
    print(f"  [{time.time() - T0:6.1f}s] {msg}", flush=True)


def shot(d, name):
    global step_no
    step_no += 1
    path = os.path.join(SHOTS, f"{step_no:02d}-{name}.png")
    # The X server's picture of the window (ImageMagick `import`): WebKitWebDriver's
    # own screenshot command sometimes never answers under Xvfb.
    display = os.environ.get("E2E_DISPLAY")
    if display and shutil.which("import"):
        subprocess.run(["import", "-display", display, "-window", "root", path],
                       check=True, timeout=30, capture_output=True)
    else:
        d.save_screenshot(path)
    print(f"  screenshot {path}")


def wait(d, css, timeout=20, visible=True):
    cond = EC.visibility_of_element_located if visible else EC.presence_of_element_located
    try:
        return WebDriverWait(d, timeout).until(cond((By.CSS_SELECTOR, css)))
    except TimeoutException:
        shot(d, "timeout")
        raise AssertionError(f"timed out waiting for {css}")


def wait_text(d, css, text, timeout=20):
    try:
        WebDriverWait(d, timeout).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    except TimeoutException:
        shot(d, "timeout")
        got = d.find_element(By.CSS_SELECTOR, css).text if d.find_elements(By.CSS_SELECTOR, css) else "(absent)"
        raise AssertionError(f"{css} never showed {text!r}; it shows {got!r}")
    return d.find_element(By.CSS_SELECTOR, css)


def type_into(d, css, text):
    log(f"type {css}")
    el = wait(d, css)
    el.click()
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(text)
    if el.get_attribute("value") != text:
        # Some WebDriver builds drop non-ASCII keys: set the value as an IME would.
        d.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", el, text)
    assert el.get_attribute("value") == text, (css, el.get_attribute("value"))
    return el


def click(d, css, timeout=20):
    log(f"click {css}")
    end = time.time() + timeout
    while True:
        el = WebDriverWait(d, timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        try:
            el.click()
            return el
        except (ElementClickInterceptedException, StaleElementReferenceException):
            # A closing dialog's overlay is still fading out: try again shortly.
            if time.time() > end:
                shot(d, "click-intercepted")
                raise
            time.sleep(0.2)


def key(d, *keys):
    webdriver.ActionChains(d).send_keys(*keys).perform()


def pdf_text(path):
    assert os.path.exists(path), f"PDF not saved: {path}"
    out = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True)
    return out.stdout


def close_dialogs(d):
    key(d, Keys.ESCAPE)
    time.sleep(0.4)


def new_case(d, search, item_code, name, id_no, statuses):
    key(d, Keys.F2)
    type_into(d, "#item-search", search)
    wait(d, f'button[data-code="{item_code}"]')
    wait_text(d, ".item-list button.sel", item_code)
    d.find_element(By.CSS_SELECTOR, "#item-search").send_keys(Keys.ENTER)
    wait_text(d, "#picked-item", item_code)
    type_into(d, "#applicant-name", name)
    type_into(d, "#applicant-id", id_no)
    wait_text(d, "#id-check", "校验通过")
    click(d, "#all-received")
    for code, status in statuses.items():
        click(d, f'[data-material="{code}"] [data-status="{status}"]')
    return None


def printed_pdf(d, title):
    wait(d, "#preview-pages img", timeout=60)
    path = wait(d, "#pdf-path").get_attribute("data-path")
    text = pdf_text(path)
    assert title in text.replace(" ", ""), f"{title} not in {path}"
    click(d, "#print-send")
    wait_text(d, "#print-status", "已发送")
    assert os.path.exists(os.path.join(SPOOL, os.path.basename(path))), "not spooled"
    return path


def log_in(d, staff, name):
    """Staff number and the demo password, Enter submits."""
    type_into(d, "#login-staff", staff)
    type_into(d, "#login-password", "demo1234")
    d.find_element(By.CSS_SELECTOR, "#login-password").send_keys(Keys.ENTER)
    wait_text(d, "#current-clerk", name)


def county_events():
    out = subprocess.run(COUNTY + ["verify-chains"], capture_output=True, text=True, check=True).stdout
    # e.g. "<log id>\tDEMO01\tOK (123 events)"
    counts = [int(n) for n in re.findall(r"OK \((\d+) events\)", out)]
    assert len(counts) == 1, out
    return counts[0]


def badge_state(d, state, timeout=40):
    try:
        WebDriverWait(d, timeout).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#sync-badge").get_attribute("data-state") == state)
    except TimeoutException:
        shot(d, "timeout")
        raise AssertionError(f"sync badge never {state}: {d.find_element(By.CSS_SELECTOR, '#sync-badge').text}")


def main():
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": APP, "args": ["--db", DB, "--demo"]})
    t0 = time.time()
    # A WebDriver call that hangs must fail the test, not stall it.
    from selenium.webdriver.remote.client_config import ClientConfig
    d = webdriver.Remote(command_executor=DRIVER, options=opts,
                         client_config=ClientConfig(remote_server_addr=DRIVER, timeout=90))
    try:
        d.set_window_size(1280, 860)
        wait(d, 'body[data-ready="1"]', timeout=60, visible=False)
        print(f"app ready in {time.time() - t0:.1f}s")

        # 0. The administrator enrols the station with the county (real server,
        #    real PostgreSQL); the background sync starts and the badge turns 在线.
        log_in(d, "0001", "管理员")
        badge_state(d, "unenrolled")
        assert "未注册" in d.find_element(By.CSS_SELECTOR, "#sync-badge").text
        click(d, "#nav-settings")
        type_into(d, "#enrol-url", COUNTY_URL)
        type_into(d, "#enrol-code", "WRONG-CODE")
        click(d, "#enrol-submit")
        wait(d, "#settings-msg.el-alert--error")
        type_into(d, "#enrol-code", ENROL_CODE)
        click(d, "#enrol-submit")
        wait_text(d, "#enrolled-to", COUNTY_URL)
        badge_state(d, "online")
        wait_text(d, "#sync-badge", "待上传 0")
        shot(d, "enrolled-online")
        click(d, "#logout")

        # 1. Log in (a wrong password first: the engine's message is shown).
        type_into(d, "#login-staff", "2001")
        type_into(d, "#login-password", "wrong")
        click(d, "#login-submit")
        wait_text(d, "#login-error", "密码不正确")
        log_in(d, "2001", "张窗口")
        shot(d, "logged-in")

        # 1b. Everything on the counter → 受理 (the first outcome has the focus:
        #     Enter accepts) → 受理通知书.
        new_case(d, "SYBXJ", "RS-SY-001", "周测试", "11010519491231002X", {})
        click(d, "#register")
        wait(d, "#outcome-accept")
        assert d.switch_to.active_element.get_attribute("id") == "outcome-accept", "focus on the first outcome"
        key(d, Keys.ENTER)
        printed_pdf(d, "受理通知书")
        shot(d, "acceptance-notice-preview")
        close_dialogs(d)
        wait_text(d, "#case-state", "已受理")

        # 2. Missing material (not on the 容缺 list) → only 一次性告知 offered → 一次性告知单.
        new_case(d, "GSRDSQ", "RS-GS-001", "赵测试", "11010519491231002X", {"M3": "missing"})
        shot(d, "intake-missing-material")
        click(d, "#register")
        wait(d, "#case-panel")
        assert not d.find_elements(By.CSS_SELECTOR, "#outcome-accept"), "accept offered with a material missing"
        assert not d.find_elements(By.CSS_SELECTOR, "#outcome-accept_with_commitment")
        shot(d, "decision-offered-outcomes")
        click(d, "#outcome-request_materials")
        printed_pdf(d, "一次性告知单")
        shot(d, "one-time-notice-preview")
        close_dialogs(d)
        wait_text(d, "#case-state", "待补正材料")

        # 3. Only a 容缺 material missing → 容缺受理 with the applicant's agreement → 承诺告知书.
        new_case(d, "SHBZK", "RS-SB-001", "钱测试", "11010519491231002X", {"M2": "missing", "M3": "not_applicable"})
        click(d, "#register")
        wait(d, "#outcome-accept_with_commitment")
        click(d, "#outcome-accept_with_commitment")
        click(d, "#confirm-commitment")
        wait_text(d, ".el-dialog .el-alert", "承诺")  # refused without the applicant's agreement
        WebDriverWait(d, 10).until(EC.element_to_be_clickable(
            (By.XPATH, "//label[contains(@class, 'el-checkbox')][contains(., '申请人同意容缺受理')]"))).click()
        click(d, "#confirm-commitment")
        printed_pdf(d, "承诺告知书")
        shot(d, "commitment-notice-preview")
        close_dialogs(d)
        wait_text(d, "#case-state", "容缺受理")

        # 3b. 告知承诺: the proof of years worked is replaced by a written promise → the
        # 证明事项告知承诺书 with the applicant's promise page, then 受理 without the proof.
        new_case(d, "ZYJNDJ", "RS-JN-001", "周测试", "11010519491231002X", {"M3": "promised"})
        click(d, "#register")
        wait_text(d, "#issue-notice", "证明事项告知承诺书")
        click(d, "#issue-notice")
        path = printed_pdf(d, "证明事项告知承诺书")
        text = "".join(pdf_text(path).split())
        for element in ("证明事项告知承诺书（申请人承诺）", "承诺不得由他人代为作出", "记入信用记录"):
            assert element in text, f"{element} not in the promise notice"
        shot(d, "promise-notice-preview")
        close_dialogs(d)
        click(d, "#outcome-accept")
        printed_pdf(d, "受理通知书")
        close_dialogs(d)
        wait_text(d, "#case-state", "已受理")

        # 3c. 劳动人事争议仲裁 is the commission's to decide: this township station
        #     offers only 收件转送, and prints a 收件回执 that decides nothing.
        new_case(d, "LDRSZY", "RS-ZC-001", "孙测试", "11010519491231002X", {})
        click(d, "#register")
        wait(d, "#outcome-forward")
        wait_text(d, "#case-handling", "劳动人事争议仲裁委员会")
        assert not d.find_elements(By.CSS_SELECTOR, "#outcome-accept"), "accept offered for the commission"
        assert not d.find_elements(By.CSS_SELECTOR, "#outcome-propose_rejection")
        click(d, "#outcome-forward")
        path = printed_pdf(d, "收件回执")
        text = "".join(pdf_text(path).split())
        for element in ("收件回执", "不是受理凭证", "示范县劳动人事争议仲裁委员会"):
            assert element in text, f"{element} not in the receipt"
        shot(d, "receipt-notice-preview")
        close_dialogs(d)
        wait_text(d, "#case-state", "已收件转送")

        # 4. 不予受理: blocked until a leader (not the proposer) approves → 不予受理通知书.
        new_case(d, "GSRDSQ", "RS-GS-001", "孙测试", "11010519491231002X", {})
        click(d, "#register")
        click(d, "#outcome-propose_rejection")
        type_into(d, "#rejection-reason", "申请超过事故伤害发生之日起1年的申请时限")
        type_into(d, "#rejection-basis", "《工伤保险条例》第十七条第二款、《工伤认定办法》第八条")
        click(d, "#confirm-rejection")
        wait_text(d, "#case-state", "待审批")
        case_no = d.find_element(By.CSS_SELECTOR, "#case-no").text
        # The engine allows no notice before the leader's approval, so the window offers none
        # (it once offered the rejection notice here and let the engine refuse it).
        wait(d, "#awaiting-approval")
        assert not d.find_elements(By.CSS_SELECTOR, "#issue-notice"), "rejection notice offered before approval"
        shot(d, "rejection-blocked-before-approval")
        click(d, "#nav-approvals")
        log("approval queue row")
        row = WebDriverWait(d, 20).until(EC.element_to_be_clickable(
            (By.XPATH, f"//*[@id='approval-queue']//td[contains(., '{case_no}')]")))
        row.click()
        log("row clicked")
        type_into(d, "#leader-staff", "2002")
        type_into(d, "#leader-password", "demo1234")
        click(d, "#approve")
        wait(d, "#approval-error")
        shot(d, "approval-refused-for-clerk")
        type_into(d, "#leader-staff", "1001")
        type_into(d, "#leader-password", "demo1234")
        click(d, "#approve")
        wait_text(d, "#case-state", "不予受理")
        click(d, "#issue-notice")
        printed_pdf(d, "不予受理通知书")
        shot(d, "rejection-notice-preview")
        close_dialogs(d)

        # 5. 好差评 recorded and counted.
        click(d, "#evaluate")
        click(d, '[data-level="basically_satisfied"]')
        click(d, "#eval-submit")
        wait(d, "#eval-done")
        shot(d, "evaluation-recorded")
        close_dialogs(d)
        # The statistics are the leaders' (a clerk's window has no such entry).
        assert not d.find_elements(By.CSS_SELECTOR, "#nav-evaluations"), "a clerk sees the statistics"
        click(d, "#switch-clerk")
        log_in(d, "1001", "王示范")
        click(d, "#nav-evaluations")
        n = int(wait(d, "#stat-basically_satisfied").text)
        assert n >= 1, f"basically satisfied count {n}"
        wait(d, "#eval-charts svg")
        d.execute_script("document.querySelector('#eval-groups').scrollIntoView()")
        WebDriverWait(d, 20).until(lambda d: "张窗口" in d.execute_script(
            "return document.querySelector('#eval-groups tbody')?.textContent ?? ''"))
        shot(d, "evaluation-stats")

        # 6. Deadline board; the day's records went to the county in the
        #    background, each exactly once.
        click(d, "#nav-deadlines")
        wait(d, "#deadline-table")
        shot(d, "deadline-board")
        click(d, "#nav-sync")
        WebDriverWait(d, 40).until(lambda d: d.find_element(By.CSS_SELECTOR, "#sync-queued").text == "0")
        wait(d, '#sync-state[data-state="online"]')
        click(d, "#sync-now")
        wait_text(d, "#sync-last-attempt", "手动同步", timeout=40)
        click(d, "#verify-log")
        local = wait_text(d, "#verify-result", "事件日志完整").text
        local_events = int(re.search(r"共 (\d+) 条", local).group(1))
        assert county_events() == local_events, (county_events(), local_events)
        badge_state(d, "online")
        shot(d, "sync-page")

        # 7. F3: find the rejected case by the applicant's name and open it.
        key(d, Keys.F3)
        type_into(d, "#case-search", "孙测试")
        d.find_element(By.CSS_SELECTOR, "#case-search").send_keys(Keys.ENTER)
        WebDriverWait(d, 20).until(EC.element_to_be_clickable(
            (By.XPATH, f"//td[contains(., '{case_no}')]"))).click()
        wait_text(d, "#case-state", "不予受理")
        shot(d, "case-search")
        print("e2e: all steps passed")
    finally:
        d.quit()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"e2e FAILED: {e}", file=sys.stderr)
        sys.exit(1)
