"""The 站点与设备 and 隔离区 step of the console's end-to-end test
(test_console.py calls `devices_step`): the administrator sees both
stations with their reference-data versions, verifies the chains, issues
an enrolment code (a bad station code refused naming the field), exports
the devices table and reads the workbook back, and opens the empty 隔离区."""

import glob
import importlib
import os
import re
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def _tc():
    # test_console runs as a script: its helpers (and its screenshot
    # counter) are __main__'s, not a second import's.
    main = sys.modules.get("__main__")
    return main if hasattr(main, "shot") else importlib.import_module("test_console")


def rows_text(d, css):
    return [r.text for r in d.find_elements(By.CSS_SELECTOR, f"{css} .el-table__body tr.el-table__row")]


def devices_step(d, stations, today):
    tc = _tc()
    shot, wait, wait_text, field, inp, log = tc.shot, tc.wait, tc.wait_text, tc.field, tc.inp, tc.log
    # A county calendar release (next year's holidays) that both stations
    # apply on their next sync: the page then shows the version they run.
    cal = os.path.join(os.path.dirname(tc.WORK), "calendar-2027.json")
    with open(cal, "w", encoding="utf-8") as f:
        f.write('{"years":[{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}]}')
    tc.county("publish", "calendar", cal)
    for s in stations:
        s.run("login", "2001", day=today)
        # The first sync applies the release; its release.applied event
        # goes up with the next.
        s.run("sync", "now", day=today)
        s.run("sync", "now", day=today)
    downloads = os.path.join(os.path.dirname(tc.WORK), "downloads")
    os.makedirs(downloads, exist_ok=True)
    d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})

    d.find_element(By.CSS_SELECTOR, '[data-test="nav-stations"]').click()
    wait(d, '[data-test="devices-table"] .el-table__row')
    for s in stations:
        wait_text(d, '[data-test="devices-table"]', s.code)
        wait_text(d, f'[data-test="station-{s.code}"]', s.code)
        assert s.name in d.find_element(By.CSS_SELECTOR, '[data-test="devices-table"]').text, s.name
        chain = d.find_element(By.CSS_SELECTOR, f'[data-test="chain-{s.code}"]').text
        assert chain == "未校验", chain
    shot(d, "stations")

    # 校验哈希链: every log verified, the result stored and shown.
    d.find_element(By.CSS_SELECTOR, '[data-test="verify-chains"]').click()
    wait_text(d, '[data-test="stations-notice"]', "全部完整")
    for s in stations:
        wait_text(d, f'[data-test="chain-{s.code}"]', "完整")
        versions = d.find_element(By.CSS_SELECTOR, f'[data-test="versions-{s.code}"]').text
        # catalog / templates / calendar: the calendar is the county's release.
        assert not versions.endswith("/ 内置"), f"{s.code} runs the county calendar: {versions}"
        # Each upload said where the station's log ended: all of it sent.
        unsent = " ".join(d.find_element(By.CSS_SELECTOR, f'[data-test="unsent-{s.code}"]').text.split())
        assert unsent == "站点未上传 0", f"{s.code}: {unsent}"
    summary = d.find_element(By.CSS_SELECTOR, '[data-test="stations-summary"]').text
    assert "2 个站点" in summary and "尚未校验" not in summary, summary
    shot(d, "stations-verified")
    log("站点与设备: both stations, their versions, chains verified")

    # 签发注册码: a station code no station can have is refused naming the field.
    d.find_element(By.CSS_SELECTOR, '[data-test="issue-code"]').click()
    wait(d, inp("code-station"))
    field(d, "code-station").send_keys("城关 03")
    d.find_element(By.CSS_SELECTOR, '[data-test="code-submit"]').click()
    wait_text(d, '[data-test="code-error"]', "站点编码")
    shot(d, "code-bad-station")
    box = field(d, "code-station")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("XZ03")
    box.send_keys(Keys.ENTER)  # keyboard: Enter submits
    code = wait(d, '[data-test="code-value"]').text.strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4})+", code), code
    assert "XZ03" in d.find_element(By.CSS_SELECTOR, '[data-test="code-issued"]').text
    shot(d, "code-issued")
    d.find_element(By.CSS_SELECTOR, '[data-test="code-close"]').click()
    log(f"enrolment code for XZ03 issued ({code[:4]}…)")

    # 停用 asks for confirmation and a reason: without one it is refused
    # naming the field, and the device stays as it was.
    d.find_element(By.CSS_SELECTOR, '[data-test="revoke-XZ02"]').click()
    wait(d, '[data-test="act-confirm"]').click()
    wait_text(d, '[data-test="act-error"]', "原因")
    shot(d, "revoke-needs-reason")
    field(d, "act-reason").send_keys(Keys.ESCAPE)
    time.sleep(0.5)
    assert d.find_elements(By.CSS_SELECTOR, '[data-test="revoke-XZ02"]'), "XZ02 still active"

    # 导出 Excel, read back.
    d.find_element(By.CSS_SELECTOR, '[data-test="stations-export"]').click()
    wait(d, '[data-test="stations-export-saved"]')
    end = time.time() + 20
    files = []
    while time.time() < end:
        files = [f for f in glob.glob(os.path.join(downloads, "站点与设备-*.xlsx"))]
        if files:
            break
        time.sleep(0.2)
    assert files, os.listdir(downloads)
    time.sleep(0.5)  # the browser renames the finished download into place
    import openpyxl
    ws = openpyxl.load_workbook(files[0], read_only=True)["站点与设备"]
    table = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    header = table[0]
    assert header[0] == "站点编码" and "哈希链" in header, header
    codes = sorted(r[0] for r in table[1:])
    assert codes == sorted(s.code for s in stations), codes
    chain_col = header.index("哈希链")
    assert all(str(r[chain_col]).startswith("完整") for r in table[1:]), table
    shot(d, "stations-exported")
    log(f"站点与设备 exported and read back: {len(table) - 1} devices")

    # 隔离区: nothing quarantined, and it says so.
    d.find_element(By.CSS_SELECTOR, '[data-test="nav-quarantine"]').click()
    wait_text(d, '[data-test="quarantine-empty"]', "隔离区为空")
    shot(d, "quarantine-empty")
    log("隔离区: empty, and says so")
