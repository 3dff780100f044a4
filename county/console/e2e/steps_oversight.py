"""Console e2e steps of 否定备案审查 and 时限督办 (called by test_console.py):
a reviewer marks a filing 存疑 (a finding without a comment refused), sees
it in the 通报 list and exports the register (read back with openpyxl); the
行政审批室 sees the stations' overdue cases, flags one for 挂牌督办, a
station syncs and its own deadline board carries the flag, and the console
shows the receipt."""

import glob
import os
import time

import __main__ as t
import openpyxl
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

OFFICE_PASSWORD = "审批室督办口令2026"


def open_page(d, hash_):
    d.get(t.CONSOLE + hash_)
    d.refresh()


def download(d, button, workdir):
    """Clicks an ExportButton and returns the saved workbook's path."""
    os.makedirs(workdir, exist_ok=True)
    for f in glob.glob(os.path.join(workdir, "*")):
        os.remove(f)
    try:
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": workdir})
    except Exception:
        d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": workdir})
    d.find_element(By.CSS_SELECTOR, f'[data-test="{button}"]').click()
    end = time.time() + 20
    while time.time() < end:
        done = [f for f in glob.glob(os.path.join(workdir, "*.xlsx"))]
        if done and not glob.glob(os.path.join(workdir, "*.crdownload")):
            return done[0]
        time.sleep(0.2)
    t.shot(d, "timeout")
    raise SystemExit(f"{button}: no workbook downloaded")


def pick(d, label, timeout=10):
    """Clicks the visible option `label` of the open Element Plus select."""
    end = time.time() + timeout
    while time.time() < end:
        for o in d.find_elements(By.CSS_SELECTOR, ".el-select-dropdown__item"):
            try:
                if o.is_displayed() and o.text.strip() == label:
                    o.click()
                    return
            except Exception:
                pass
        time.sleep(0.2)
    t.shot(d, "timeout")
    raise SystemExit(f"no option {label!r}")


def review_a_filing(d, own):
    """The reviewer (logged in) reviews the month's first filing."""
    open_page(d, f"#/filings?month={t.TODAY[:7]}")
    t.wait(d, '[data-test="filings-table"] .el-table__row')
    rows = d.find_elements(By.CSS_SELECTOR, '[data-test="filings-table"] .el-table__body tr.el-table__row')
    filed = sum(int(f["rejections"]) for f in own.values())
    assert len(rows) == filed, f"register: console {len(rows)}, stations {filed}"
    case_no = rows[0].find_elements(By.CSS_SELECTOR, "td")[2].text.strip()
    # The filing's full record, with its notice.
    rows[0].find_element(By.CSS_SELECTOR, ".el-table__expand-icon").click()
    t.wait_text(d, '[data-test="filing-detail"]', "依据")
    t.shot(d, "filing-record")
    rows[0].find_element(By.CSS_SELECTOR, '[data-test="filing-review"]').click()
    t.wait(d, '[data-test="review-submit"]')
    d.find_element(By.CSS_SELECTOR, '[data-test="review-verdict"]').click()
    pick(d, "存疑")
    d.find_element(By.CSS_SELECTOR, '[data-test="review-submit"]').click()
    t.wait_text(d, '[data-test="review-error"]', "审查意见")
    t.shot(d, "review-refused")
    box = d.find_element(By.CSS_SELECTOR, 'textarea[data-test="review-comment"], [data-test="review-comment"] textarea')
    box.send_keys("理由与所引依据不对应，请站点说明")
    d.find_element(By.CSS_SELECTOR, '[data-test="review-submit"]').click()
    t.wait_text(d, '[data-test="filings-table"]', "存疑")
    t.shot(d, "filing-reviewed")
    # The 通报 list: the 存疑 filings only.
    open_page(d, f"#/filings?month={t.TODAY[:7]}&verdict=doubtful")
    t.wait_text(d, '[data-test="filings-table"]', case_no)
    rows = d.find_elements(By.CSS_SELECTOR, '[data-test="filings-table"] .el-table__body tr.el-table__row')
    assert len(rows) == 1, len(rows)
    t.shot(d, "bulletin")
    path = download(d, "filings-export", os.path.join(t.WORK, "downloads"))
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][1] == "办件编号", values[0]
    assert any(r[1] == case_no and r[12] == "存疑" for r in values[1:]), values
    assert sheet.freeze_panes == "A2", sheet.freeze_panes
    assert [ws.title for ws in book.worksheets][1:] == ["通报", "窗口人员办结方式", "撤回与终止"]
    t.log(f"否定备案审查: {case_no} marked 存疑, in the 通报 list, exported and read back ({os.path.basename(path)})")


def flag_a_case(d, stations, own):
    """The 行政审批室 flags an overdue case; the station receives it."""
    t.county("staff", "add", "--role", "approval_office", "--login", "qian.office", "--name", "钱督办",
             stdin=OFFICE_PASSWORD + "\n")
    t.login(d, "qian.office", OFFICE_PASSWORD)
    t.wait(d, '[data-test="who"]')
    open_page(d, f"#/supervision?date={t.TODAY}")
    t.wait(d, '[data-test="supervision-table"] .el-table__row')
    overdue = sum(int(f["overdue"]) for f in own.values())
    t.wait_text(d, '[data-test="sup-overdue"]', str(overdue))
    assert d.find_element(By.CSS_SELECTOR, '[data-test="sup-overdue"]').text == str(overdue)
    t.shot(d, "supervision")
    row = d.find_elements(By.CSS_SELECTOR, '[data-test="supervision-table"] .el-table__body tr.el-table__row')[0]
    case_no = row.find_elements(By.CSS_SELECTOR, "td")[2].text.strip()
    code = case_no.split("-")[0]
    row.find_element(By.CSS_SELECTOR, '[data-test="sup-flag-button"]').click()
    t.wait(d, '[data-test="sup-submit"]')
    d.find_element(By.CSS_SELECTOR, '[data-test="sup-submit"]').click()
    t.wait_text(d, '[data-test="sup-error"]', "督办要求")
    note = "超期未办结，请于两个工作日内办结并报告"
    box = d.find_element(By.CSS_SELECTOR, t.inp("sup-note"))
    box.send_keys(note)
    d.find_element(By.CSS_SELECTOR, '[data-test="sup-submit"]').click()
    t.wait_text(d, '[data-test="supervision-table"]', "待站点同步")
    t.shot(d, "case-flagged")
    # The station's next sync brings the flag to its own deadline board.
    s = next(x for x in stations if x.code == code)
    s.run("login", "2001", day=t.TODAY)
    s.run("sync", "now", day=t.TODAY)
    board = s.run("deadlines", day=t.TODAY)
    mine = [r for r in board if r["case_no"] == case_no]
    assert mine and all(r.get("supervision_note") == note for r in mine), mine
    assert all(r.get("supervision_note") is None for r in board if r["case_no"] != case_no)
    open_page(d, f"#/supervision?date={t.TODAY}&show=flagged")
    t.wait_text(d, '[data-test="sup-received"]', "站点已收到")
    t.shot(d, "flag-received")
    t.log(f"时限督办: {overdue} overdue as the stations count; {case_no} flagged, on {code}'s board after its sync, receipt shown")
    d.find_element(By.CSS_SELECTOR, '[data-test="logout"]').click()
    t.wait(d, t.inp("login-name"))
