"""End-to-end test of a new station guarding its counter, on the real 一窗 app
(tauri-driver + WebKitWebDriver under Xvfb), started by scripts/test-desktop.sh
on an EMPTY data directory (no --demo):

  set-up wizard → first administrator → add a clerk and a leader → the clerk
  logs in and must change the password → a full ID number revealed, the view
  recorded and listed for the leader → a notice voided → the leader's
  approval locked after repeated wrong passwords → the log-in locked after
  repeated wrong passwords, lifted by the administrator → the clerk disabled
  and refused → the idle lock.

Environment as test_desktop.py (E2E_APP, E2E_DRIVER, E2E_SHOTS, E2E_DISPLAY),
plus E2E_SETUP_DB, a database path that does not exist yet.
"""

import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
import test_desktop as t  # noqa: E402  (the shared helpers: wait, click, type_into, shot …)

DB = os.environ["E2E_SETUP_DB"]
ADMIN_PW = "admin-pass-1"
CLERK_PW = "clerk-pass-1"
LEADER_PW = "leader-pass-1"
STATION_PASSPHRASE = "station-pass-1"


def option(d, text):
    """Picks an Element Plus select option by its label."""
    WebDriverWait(d, 20).until(EC.element_to_be_clickable(
        (By.XPATH, f"//li[contains(@class,'el-select-dropdown__item')][normalize-space(.)='{text}']"))).click()


def log_in(d, staff, password, name=None):
    t.type_into(d, "#login-staff", staff)
    t.type_into(d, "#login-password", password)
    t.click(d, "#login-submit")
    if name:
        t.wait_text(d, "#current-clerk", name)


def change_password(d, old, new):
    t.wait(d, "#password-change")
    t.type_into(d, "#pw-old", old)
    t.type_into(d, "#pw-new", new)
    t.type_into(d, "#pw-new2", new)
    t.click(d, "#pw-submit")


def add_account(d, staff, name, role_label, password):
    t.click(d, "#account-add")
    t.type_into(d, "#account-staff", staff)
    t.type_into(d, "#account-name", name)
    t.type_into(d, "#account-password", password)
    if role_label:
        t.click(d, ".account-role .el-select__wrapper")
        option(d, role_label)
        time.sleep(0.4)  # the dropdown fades out over the footer
    t.click(d, "#account-save")
    t.wait(d, f".account-{staff}")


def account_status(d, staff):
    return d.find_element(By.CSS_SELECTOR, f".account-{staff} .account-status").text


SIZES = [(1024, 768), (1366, 768)]


def layout(d, view, must):
    """The screen as it is now at each counter size: nothing cut off (the
    demo test's LAYOUT_JS), one screenshot per size; back to 1280×860."""
    for w, h in SIZES:
        t.resize(d, w, h)
        problems = d.execute_script(t.LAYOUT_JS, must)
        t.shot(d, f"layout-{w}x{h}-{view}", numbered=False)
        assert not problems, f"{w}x{h} {view}: cut off:\n  " + "\n  ".join(problems)
    t.resize(d, 1280, 860)


def main():
    assert not os.path.exists(DB), "the set-up test needs an empty data directory"
    d = t.start_app(["--db", DB])
    try:
        d.set_window_size(1280, 860)
        t.wait(d, 'body[data-ready="1"]', timeout=60, visible=False)

        # 1. A new install opens the set-up wizard; a refused field changes nothing.
        t.wait(d, "#setup-wizard")
        t.shot(d, "setup-wizard")
        layout(d, "setup", ["#setup-code", "#setup-name", "#setup-county", "#setup-office", "#setup-next"])
        t.type_into(d, "#setup-code", "XQ01")
        t.type_into(d, "#setup-name", "新区劳动保障服务站")
        t.type_into(d, "#setup-county", "示范县")
        t.type_into(d, "#setup-address", "示范县新区路1号")
        t.click(d, "#setup-next")
        t.type_into(d, "#setup-admin-staff", "0001")
        t.type_into(d, "#setup-admin-name", "钱管理")
        t.type_into(d, "#setup-admin-password", "0001")
        t.type_into(d, "#setup-admin-password2", "0001")
        # The database is encrypted; its key sealed by a station passphrase.
        WebDriverWait(d, 10).until(EC.element_to_be_clickable(
            (By.XPATH, "//label[contains(@class,'el-radio')][contains(., '站点口令')]"))).click()
        t.type_into(d, "#setup-passphrase", STATION_PASSPHRASE)
        t.type_into(d, "#setup-passphrase2", STATION_PASSPHRASE)
        t.click(d, "#setup-next")
        t.click(d, "#setup-finish")
        t.wait_text(d, "#setup-error", "密码")
        t.shot(d, "setup-refused-password")
        t.click(d, "#setup-back")
        t.type_into(d, "#setup-admin-password", ADMIN_PW)
        t.type_into(d, "#setup-admin-password2", ADMIN_PW)
        t.click(d, "#setup-next")
        t.click(d, "#setup-finish")
        t.wait_text(d, "#current-clerk", "钱管理")
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".topbar .station")
                                   .get_attribute("title") == "示范县新区劳动保障服务站")
        t.shot(d, "setup-done-admin")

        # 2. The administrator adds a clerk and a leader (each must change the
        #    initial password at the first log-in).
        t.click(d, "#nav-accounts")
        add_account(d, "2001", "张新人", None, "initial-pw-1")
        add_account(d, "1001", "王领导", "领导", "initial-pw-2")
        assert "待改密码" in account_status(d, "2001")
        t.shot(d, "accounts-added")
        layout(d, "accounts", t.HEADER + ["#account-add", "#accounts-table", ".account-edit", ".account-disable"])
        t.click(d, "#logout")

        # 3. The clerk logs in with the initial password and must choose one.
        log_in(d, "2001", "initial-pw-1")
        t.wait(d, "#password-change")
        layout(d, "password-change", ["#pw-old", "#pw-new", "#pw-new2", "#pw-submit"])
        change_password(d, "initial-pw-1", CLERK_PW)
        t.wait_text(d, "#current-clerk", "张新人")
        assert not d.find_elements(By.CSS_SELECTOR, "#nav-accounts"), "a clerk sees 账号管理"
        assert not d.find_elements(By.CSS_SELECTOR, "#nav-evaluations"), "a clerk sees the statistics"
        t.shot(d, "clerk-logged-in")

        # 4. A case: the ID number masked; shown in full on request (recorded).
        t.new_case(d, "SYBXJ", "RS-SY-001", "周测试", "11010519491231002X", {})
        t.click(d, "#register")
        t.click(d, "#outcome-accept")
        t.printed_pdf(d, "受理通知书")
        t.close_dialogs(d)
        t.wait_text(d, "#case-state", "已受理")
        case_no = d.find_element(By.CSS_SELECTOR, "#case-no").text
        masked = d.find_element(By.CSS_SELECTOR, "#case-id-no").text
        assert "*" in masked and "11010519491231002X" not in masked, masked
        t.click(d, "#reveal-id")
        t.wait_text(d, "#case-id-no", "11010519491231002X")
        t.shot(d, "id-revealed")

        # 5. Void the notice: a reason is required; the record stays, marked.
        t.click(d, ".void-notice")
        t.click(d, "#confirm-void")
        t.wait_text(d, "#void-error", "原因")
        t.type_into(d, "#void-reason", "申请人姓名录入有误")
        t.click(d, "#confirm-void")
        t.wait(d, ".notice-void")
        t.shot(d, "notice-voided")

        # 6. A rejection the leader must approve; wrong passwords lock the approval.
        t.new_case(d, "GSRDSQ", "RS-GS-001", "孙测试", "11010519491231002X", {})
        t.click(d, "#register")
        t.click(d, "#outcome-propose_rejection")
        t.type_into(d, "#rejection-reason", "申请超过事故伤害发生之日起1年的申请时限")
        t.type_into(d, "#rejection-basis", "《工伤保险条例》第十七条第二款")
        t.click(d, "#confirm-rejection")
        t.wait_text(d, "#case-state", "待审批")
        rej_no = d.find_element(By.CSS_SELECTOR, "#case-no").text
        t.click(d, "#nav-approvals")
        WebDriverWait(d, 20).until(EC.element_to_be_clickable(
            (By.XPATH, f"//*[@id='approval-queue']//td[contains(., '{rej_no}')]"))).click()
        for i in range(5):
            t.type_into(d, "#leader-staff", "1001")
            t.type_into(d, "#leader-password", f"wrong-{i}-pass")
            t.click(d, "#approve")
            t.wait(d, "#approval-error")
            time.sleep(0.3)
        t.wait_text(d, "#approval-error", "锁定")
        t.type_into(d, "#leader-staff", "1001")
        t.type_into(d, "#leader-password", "initial-pw-2")
        t.click(d, "#approve")
        t.wait_text(d, "#approval-error", "锁定")
        t.shot(d, "approval-locked-out")
        t.click(d, "#logout")

        # 7. The log-in locks after repeated wrong passwords, right one or not.
        for i in range(5):
            log_in(d, "2001", f"wrong-{i}-pass")
            t.wait(d, "#login-error")
        t.wait_text(d, "#login-error", "锁定")
        log_in(d, "2001", CLERK_PW)
        t.wait_text(d, "#login-error", "锁定")
        t.shot(d, "login-locked-out")

        # 8. The leader (own log-in unaffected) sees who revealed the number.
        log_in(d, "1001", "initial-pw-2")
        change_password(d, "initial-pw-2", LEADER_PW)
        t.wait_text(d, "#current-clerk", "王领导")
        t.click(d, "#nav-cases")
        WebDriverWait(d, 20).until(EC.element_to_be_clickable(
            (By.XPATH, f"//*[@id='cases-table']//td[contains(., '{case_no}')]"))).click()
        t.click(d, "#id-views")
        WebDriverWait(d, 20).until(EC.visibility_of_element_located(
            (By.XPATH, "//div[contains(@class,'el-dialog')]//td[contains(., '张新人')]")))
        t.shot(d, "id-views-listed")
        t.close_dialogs(d)
        t.click(d, "#logout")

        # 9. The administrator lifts the lock, then disables the clerk.
        log_in(d, "0001", ADMIN_PW, "钱管理")
        t.click(d, "#nav-accounts")
        t.wait_text(d, ".account-2001 .account-status", "已锁定")
        t.click(d, ".account-2001 .account-unlock")
        t.wait_text(d, ".account-2001 .account-status", "在用")
        t.click(d, ".account-2001 .account-disable")
        t.click(d, "#account-confirm")
        t.wait_text(d, "#account-error", "原因")
        t.type_into(d, "#account-reason", "调离本站")
        t.click(d, "#account-confirm")
        t.wait_text(d, ".account-2001 .account-status", "已停用")
        t.shot(d, "clerk-disabled")
        t.click(d, "#logout")
        log_in(d, "2001", CLERK_PW)
        t.wait_text(d, "#login-error", "密码不正确")
        t.shot(d, "disabled-clerk-refused")

        # 10. The idle lock: one minute for the test, then the clerk's password.
        log_in(d, "0001", ADMIN_PW, "钱管理")
        t.click(d, "#nav-settings")
        box = t.type_into(d, "#setting-security-idle_lock_minutes", "1")
        box.find_element(By.XPATH, "ancestor::div[contains(@class,'el-form-item__content')]//button").click()
        t.wait(d, "#settings-msg")
        t.click(d, "#logout")
        log_in(d, "0001", ADMIN_PW, "钱管理")
        t.log("waiting for the idle lock (1 minute)")
        t.wait(d, "#lock-screen", timeout=100)
        assert not d.find_elements(By.CSS_SELECTOR, "#nav-intake"), "the counter stays on show when locked"
        t.shot(d, "idle-locked")
        layout(d, "lock-screen", ["#lock-screen", "#login-staff", "#login-password", "#login-submit"])
        t.type_into(d, "#login-password", ADMIN_PW)
        t.click(d, "#login-submit")
        t.wait_text(d, "#current-clerk", "钱管理")
        t.shot(d, "unlocked")
    finally:
        d.quit()

    # 11. On disk the station is encrypted: no SQLite header, no applicant's
    #     name; the next start asks for the station passphrase.
    for f in [DB, DB + "-wal"]:
        if os.path.exists(f):
            data = open(f, "rb").read()
            assert b"SQLite format 3" not in data[:16] and "周测试".encode() not in data, f"{f} readable"
    custody = open(DB + ".key").read()
    assert "passphrase" in custody and STATION_PASSPHRASE not in custody
    d = t.start_app(["--db", DB])
    try:
        d.set_window_size(1280, 860)
        t.wait(d, 'body[data-ready="1"]', timeout=60, visible=False)
        t.wait(d, "#unlock-station")
        t.type_into(d, "#station-passphrase", "not-the-passphrase")
        t.click(d, "#unlock-submit")
        t.wait_text(d, "#unlock-error", "口令")
        t.shot(d, "station-passphrase-refused")
        t.type_into(d, "#station-passphrase", STATION_PASSPHRASE)
        t.click(d, "#unlock-submit")
        log_in(d, "0001", ADMIN_PW, "钱管理")
        t.click(d, "#nav-cases")
        WebDriverWait(d, 20).until(EC.visibility_of_element_located(
            (By.XPATH, "//*[@id='cases-table']//td[contains(., '周测试')]")))
        t.shot(d, "station-unlocked")
        print("e2e setup: all steps passed")
    finally:
        d.quit()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"e2e setup FAILED: {e}", file=sys.stderr)
        sys.exit(1)
