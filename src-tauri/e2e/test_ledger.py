"""End-to-end test of the 台账 export from the real 一窗 window, driven through
tauri-driver (WebKitWebDriver) under Xvfb, the workbook read back with
openpyxl. Started by scripts/test-desktop.sh, which sets:

  E2E_APP        the yichuang-desktop binary
  E2E_DRIVER     tauri-driver URL (http://127.0.0.1:PORT)
  E2E_DB         a fresh database path (the app seeds a demo station there)
  E2E_OUT        an empty folder the exports are saved in
  E2E_SHOTS      where screenshots go (one per step)
  E2E_DISPLAY    the Xvfb display, for screenshots

The app's clock (YICHUANG_NOW, 2026-11-23) is inherited from tauri-driver: the
demo's six cases are received that day, in the period the view proposes
(the month so far).
"""

import datetime
import os
import sys

import openpyxl
from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(__file__))
import test_desktop as t  # noqa: E402  (the shared helpers: wait, click, type_into, shot …)
from test_desktop import click, log, log_in, shot, type_into, wait, wait_text  # noqa: E402,F401

DB = os.environ["E2E_DB"]
OUT = os.environ["E2E_OUT"]

SHEETS = ["受理台账", "否定备案登记", "通知书", "好差评"]
# The demo station: six cases of clerk 2001, four notices, no filing approved
# yet, no evaluation asked for.
DEMO = {"cases": 6, "filings": 0, "notices": 4, "evaluations": 0}


def start_app():
    return t.start_app(["--db", DB, "--demo"])


def export_from_window(d, path, counts):
    """The 台账导出 view: save-to path, 导出, the progress bar to 100 %, the
    file and the counts shown."""
    click(d, "#nav-ledger")
    wait(d, "#ledger-terms")
    # The proposed file is in the user's documents, named after the period.
    proposed = wait(d, "#ledger-path").get_attribute("value")
    assert proposed.endswith("台账_2026-11-01_2026-11-23.xlsx"), proposed
    type_into(d, "#ledger-path", path)
    click(d, "#ledger-export")
    wait(d, "#ledger-result")
    wait_text(d, "#ledger-file", path)
    for k, n in counts.items():
        wait_text(d, f"#ledger-count-{k}", str(n))
    total = sum(counts.values())
    # The engine's last step, sent as an event while the command ran.
    wait_text(d, "#ledger-stage", f"保存文件：{total} / {total} 行")
    # The bar full (a finished bar shows a tick instead of its percentage).
    bar = d.find_element(By.CSS_SELECTOR, "#ledger-progress")
    assert bar.get_attribute("aria-valuenow") == "100", bar.get_attribute("outerHTML")[:300]
    assert os.path.exists(path), f"not saved: {path}"
    assert not [f for f in os.listdir(OUT) if f.endswith(".part")], os.listdir(OUT)


def read_back(path):
    """The workbook through openpyxl: sheet names, the 受理台账 header and
    rows, its ID numbers, and the 收件日期 cells."""
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS, book.sheetnames
    ws = book["受理台账"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["办件编号", "收件日期", "登记时间"], header
    assert ws.freeze_panes == "A2", ws.freeze_panes
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.auto_filter.ref
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == DEMO["cases"], rows
    ids = [r[header.index("证件号码")] for r in rows]
    received = [r[header.index("收件日期")] for r in rows]
    assert all(isinstance(v, datetime.datetime) for v in received), received
    assert {v.date() for v in received} == {datetime.date(2026, 11, 23)}, received
    assert ws.cell(row=2, column=2).number_format == "yyyy-mm-dd"
    notices = book["通知书"]
    assert notices.max_row - 1 == DEMO["notices"], notices.max_row
    assert isinstance(notices.cell(row=2, column=7).value, datetime.datetime)
    return ids


def main():
    d = start_app()
    try:
        wait(d, "#login-staff", timeout=60)
        t.resize(d, 1280, 860)

        # 1. Clerk 2001: the cases they handle, ID numbers masked.
        log_in(d, "2001", "张窗口")
        click(d, "#nav-ledger")
        wait_text(d, "#ledger-terms", "本人承办的办件")
        wait_text(d, "#ledger-terms", "证件号码已脱敏")
        shot(d, "ledger-view-clerk")
        # A folder that does not exist: the engine's message, no file.
        missing = os.path.join(OUT, "no-such-folder", "x.xlsx")
        type_into(d, "#ledger-path", missing)
        click(d, "#ledger-export")
        wait_text(d, "#ledger-error", "不存在")
        assert not os.path.exists(os.path.dirname(missing))
        shot(d, "ledger-bad-folder")
        mine = os.path.join(OUT, "张窗口-台账.xlsx")
        click(d, "#nav-intake")
        export_from_window(d, mine, DEMO)
        shot(d, "ledger-exported-clerk")
        masked = read_back(mine)
        assert all("****" in n for n in masked), masked
        click(d, "#logout")

        # 2. Leader 1001: the whole station, ID numbers in full.
        log_in(d, "1001", "王示范")
        click(d, "#nav-ledger")
        wait_text(d, "#ledger-terms", "本站全部办件")
        wait_text(d, "#ledger-terms", "证件号码完整显示")
        click(d, "#nav-intake")
        station = os.path.join(OUT, "全站台账.xlsx")
        export_from_window(d, station, DEMO)
        shot(d, "ledger-exported-leader")
        full = read_back(station)
        assert not any("*" in n for n in full), full
        # The same people, the clerk's copy masked in the middle.
        assert [(n[:6], n[-4:]) for n in full] == [(n[:6], n[-4:]) for n in masked], (full, masked)
        assert full != masked
        print("e2e ledger: all steps passed")
    finally:
        d.quit()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"e2e FAILED: {e}", file=sys.stderr)
        sys.exit(1)
