"""End-to-end test of backups and restores on the real 一窗 app (tauri-driver +
WebKitWebDriver under Xvfb) and a real county server, started by
scripts/test-desktop.sh:

  a demo station enrolled with the county → 数据备份: folder, 立即备份 twice
  (progress, verified, listed) with county-synced work in between → a new
  install restores the OLDER backup: the county holds later records, the
  window says which and nothing can be done → another new install restores
  the newest backup: the county check settles by itself, the administrator
  logs in and finds the station's cases; the restored log reaches the county.

Environment as test_desktop.py (E2E_APP, E2E_DRIVER, E2E_SHOTS, E2E_DISPLAY,
E2E_COUNTY_URL, E2E_COUNTY), plus E2E_BACKUP_DB (a demo station database that
does not exist yet), E2E_BACKUP_DIR (an empty folder: the "USB drive") and
E2E_RESTORE_DIR (an empty folder for the new installs' data directories).
"""

import json
import os
import subprocess
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
import test_desktop as t  # noqa: E402  (the shared helpers: wait, click, type_into, shot …)

DB = os.environ["E2E_BACKUP_DB"]
USB = os.environ["E2E_BACKUP_DIR"]
RESTORE_DIR = os.environ["E2E_RESTORE_DIR"]
NEW_PASS = "restored-pass-1"


def enrol_code():
    out = subprocess.run(t.COUNTY + ["enroll-code", "--station", "DEMO01"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def backups_listed(d):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, "#backup-list .backup-file")]


def back_up(d, count):
    t.click(d, "#backup-now")
    t.wait_text(d, "#backup-msg", "已备份并校验")
    WebDriverWait(d, 20).until(lambda d: len(backups_listed(d)) == count)


def restore_new_install(name, pick):
    """A new install (empty data directory) restores backup number `pick`
    (0: the newest) from the USB folder; returns the driver, at the screen
    that follows the restore."""
    db = os.path.join(RESTORE_DIR, name, "station.sqlite3")
    d = t.start_app(["--db", db])
    d.set_window_size(1280, 860)
    t.wait(d, 'body[data-ready="1"]', timeout=60, visible=False)
    t.wait(d, "#setup-wizard")
    t.click(d, "#setup-mode-restore")
    t.type_into(d, "#restore-folder", USB)
    t.click(d, "#restore-find")
    rows = WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#restore-list .restore-row"))
    assert len(rows) == 2, [r.text for r in rows]
    assert "DEMO01" in rows[0].text
    rows[pick].find_element(By.CSS_SELECTOR, ".el-radio").click()
    WebDriverWait(d, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#restore-new-pass"))
    t.type_into(d, "#restore-new-pass", NEW_PASS)
    t.type_into(d, "#restore-new-pass2", NEW_PASS)
    t.shot(d, f"restore-{name}-chosen")
    t.click(d, "#restore-submit")
    return d, db


def main():
    assert not os.path.exists(DB), "the backup test needs a new demo database"
    d = t.start_app(["--db", DB, "--demo"])
    try:
        d.set_window_size(1280, 860)
        t.wait(d, 'body[data-ready="1"]', timeout=60, visible=False)
        # 1. The demo station enrols with the county; everything is uploaded.
        t.log_in(d, "0001", "管理员")
        t.click(d, "#nav-settings")
        t.type_into(d, "#enrol-url", t.COUNTY_URL)
        t.type_into(d, "#enrol-code", enrol_code())
        t.click(d, "#enrol-submit")
        t.wait_text(d, "#enrolled-to", t.COUNTY_URL)
        t.badge_state(d, "online")
        t.wait_text(d, "#sync-badge", "待上传 0")

        # 2. 数据备份: the folder (the schedule off, so this test decides when), 立即备份.
        t.click(d, "#nav-backup")
        t.wait(d, "#backup-view")
        t.type_into(d, "#backup-folder", USB)
        t.type_into(d, "#backup-interval", "0")
        t.click(d, "#backup-save")
        t.wait_text(d, "#backup-msg", "备份设置已保存")
        back_up(d, 1)
        assert "尚无" not in d.find_element(By.CSS_SELECTOR, "#backup-last-ok").text
        t.shot(d, "backup-first")
        # Work after the first backup reaches the county (a log-out and back in).
        t.click(d, "#logout")
        t.log_in(d, "0001", "管理员")
        t.wait_text(d, "#sync-badge", "待上传 0", timeout=40)
        t.click(d, "#nav-backup")
        back_up(d, 2)
        # The newest backup's own record is inside it; wait until it is uploaded.
        t.wait_text(d, "#sync-badge", "待上传 0", timeout=40)
        t.shot(d, "backup-second")
        names = sorted(os.listdir(USB))
        assert len([n for n in names if n.endswith(".ycbak")]) == 2, names
        assert not [n for n in names if n.endswith(".partial")], names
        manifests = [json.load(open(os.path.join(USB, n))) for n in names if n.endswith(".ycbak.json")]
        heads = [m["head_seq"] for m in manifests]
        log_ids = {m["log_id"] for m in manifests}
        assert len(log_ids) == 1, log_ids
        t.log(f"two verified backups in the folder (log heads {heads}); the county has everything")
        assert len(set(heads)) == 2, f"the work between the backups is in the log: {heads}"
        # The badge can still say 0 before the sync thread has counted the
        # newest events: wait for the county itself to hold the newest
        # backup's whole log before the app closes.
        end = time.time() + 60
        log_id = log_ids.pop()
        while t.county_events(log_id) < max(heads):
            assert time.time() < end, f"the county holds {t.county_events(log_id)} events, the newest backup {max(heads)}"
            time.sleep(0.5)

    finally:
        d.quit()

    # 3. A new install restores the OLDER backup: the county holds later records.
    d, _ = restore_new_install("older", 1)
    try:
        t.wait(d, "#restore-check", timeout=30)
        t.wait_text(d, "#restore-finding", "县级已收到本站第", timeout=60)
        t.shot(d, "restore-older-county-ahead")
        assert not d.find_elements(By.CSS_SELECTOR, "#login-staff"), "no log-in before the check"
        t.log("the older backup: the county is ahead; the window says so and stays closed")
    finally:
        d.quit()

    # 4. Another new install restores the newest backup: settled by itself.
    d, db = restore_new_install("newest", 0)
    try:
        t.wait(d, "#login-staff", timeout=60)
        t.shot(d, "restore-newest-login")
        t.log_in(d, "0001", "管理员")
        t.wait_text(d, "#app-notice", "恢复")
        # The station's cases are back (the demo's company applicant).
        t.click(d, "#nav-cases")
        t.type_into(d, "#case-search", "测试科技")
        d.find_element(By.CSS_SELECTOR, "#case-search").send_keys(Keys.ENTER)
        try:
            WebDriverWait(d, 20).until(
                lambda d: d.find_elements(By.XPATH, "//td[contains(., '测试科技')]"))
        except Exception:
            t.shot(d, "timeout")
            raise AssertionError("the restored cases are not found: "
                                 + d.find_element(By.CSS_SELECTOR, ".main").text[:600])
        t.badge_state(d, "online", timeout=60)
        t.wait_text(d, "#sync-badge", "待上传 0", timeout=40)
        t.shot(d, "restore-newest-working")
        t.log("the newest backup: restored, settled with the county, working")
    finally:
        d.quit()
    assert os.path.exists(db)
    print("backup e2e: ok")


if __name__ == "__main__":
    main()
