"""发布 in the real browser (called from test_console.py's main): the
administrator uploads a broken catalog and sees the Chinese refusal, then
the station's own catalog with a new version and one item renamed, sees the
check pass and the difference name the change, publishes it, a station
syncs and applies it, and the page shows that station on the new version;
the page's tables exported to .xlsx are read back."""

import base64
import io
import json
import os
import time

from selenium.webdriver.common.by import By

# test_console.py runs as the script (__main__): its helpers and its
# screenshot counter are that module's.
from __main__ import CONSOLE, TODAY, WORK, log, shot, wait, wait_text

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                       "assets", "catalog", "catalog.json")
NEW_NAME = "失业保险金申领（县级调整）"


def upload(d, path):
    f = d.find_element(By.CSS_SELECTOR, 'input[data-test="release-file"]')
    f.send_keys(path)
    d.find_element(By.CSS_SELECTOR, '[data-test="release-upload"]').click()


def export_rows(d):
    """The page's export, fetched by the page's own session, as openpyxl rows."""
    from openpyxl import load_workbook
    b64 = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/console/api/releases/export', {credentials: 'same-origin'})
          .then(r => r.arrayBuffer())
          .then(b => { let s = ''; new Uint8Array(b).forEach(x => s += String.fromCharCode(x)); done(btoa(s)); })
          .catch(e => done('ERROR ' + e));
    """)
    assert not b64.startswith("ERROR"), b64
    wb = load_workbook(io.BytesIO(base64.b64decode(b64)))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def publish_step(d, stations):
    d.set_script_timeout(30)
    d.get(CONSOLE + "#/releases")
    d.refresh()
    wait(d, '[data-test="upload-panel"]')
    wait_text(d, '[data-test="stations-table"]', stations[0].code)

    # A broken catalog: refused in Chinese, never publishable.
    broken = os.path.join(WORK, "broken-catalog.json")
    with open(CATALOG, encoding="utf-8") as f:
        doc = json.load(f)
    doc["version"] = "2026.11"
    doc["items"][0]["materials"] = []
    with open(broken, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    upload(d, broken)
    wait_text(d, '[data-test="upload-problem"]', "校验未通过")
    text = d.find_element(By.CSS_SELECTOR, '[data-test="upload-problem"]').text
    assert "事项清单文件“broken-catalog.json”" in text and "RS-SY-001" in text, text
    assert not d.find_elements(By.CSS_SELECTOR, '[data-test="release-publish"]')
    shot(d, "release-broken")

    # The station's own catalog, a new version, one item renamed.
    good = os.path.join(WORK, "catalog-2026.11.json")
    with open(CATALOG, encoding="utf-8") as f:
        doc = json.load(f)
    old_name = doc["items"][0]["name"]
    doc["version"] = "2026.11"
    doc["items"][0]["name"] = NEW_NAME
    with open(good, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
    upload(d, good)
    wait_text(d, '[data-test="upload-ok"]', "校验通过")
    changed = wait_text(d, '[data-test="diff-changed"]', "RS-SY-001").text
    assert f"名称：{old_name} → {NEW_NAME}" in changed, changed
    assert "2026.11" in changed, changed
    shot(d, "release-diff")

    d.find_element(By.CSS_SELECTOR, '[data-test="release-publish"]').click()
    wait(d, '[data-test="publish-confirm"]')
    shot(d, "release-confirm")
    d.find_element(By.CSS_SELECTOR, '[data-test="publish-confirm"]').click()
    wait_text(d, '[data-test="publish-ok"]', "第 1 版")
    wait_text(d, '[data-test="uploads-table"]', "第 1 版")
    log("catalog published from the console")

    # One station syncs: it applies the release, and its next upload carries
    # the release.applied event the county projects.
    s = stations[0]
    out = s.run("sync", "now", day=TODAY)
    applied = json.dumps(out, ensure_ascii=False)
    assert "catalog" in applied, applied
    s.run("sync", "now", day=TODAY)
    for _ in range(50):
        d.find_element(By.CSS_SELECTOR, '[data-test="releases-refresh"]').click()
        cell = d.find_element(By.CSS_SELECTOR, f'[data-test="station-{s.code}-catalog"]')
        if cell.text.strip() == "1":
            break
        time.sleep(0.3)
    else:
        shot(d, "timeout")
        raise SystemExit(f"{s.code} never showed catalog release 1")
    rows = d.find_elements(By.CSS_SELECTOR, '[data-test="stations-table"] .el-table__body tr.el-table__row')
    seen = {r.find_elements(By.CSS_SELECTOR, "td")[0].text.strip(): r.text for r in rows}
    assert "最新" in seen[s.code], seen
    other = stations[1].code
    assert "待更新" in seen[other], seen
    table = d.find_element(By.CSS_SELECTOR, '[data-test="stations-table"]')
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", table)
    shot(d, "release-applied")

    sheets = export_rows(d)
    by_code = {r[0]: r for r in sheets["站点版本"][1:]}
    assert by_code[s.code][3] == "1" and by_code[s.code][4] == "是", by_code
    assert by_code[other][4] == "否", by_code
    assert sheets["当前发布"][1][:2] == ["事项清单", "1"], sheets["当前发布"]
    log(f"发布: {s.code} applied catalog release 1, {other} waits for its sync; export read back")
