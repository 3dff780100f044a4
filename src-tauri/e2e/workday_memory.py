"""The window's working day, for memory: log in, 40 counter cases each
registered, decided, its notice previewed and printed, and every view opened
after it; then sync. Prints the PSS of the app process and of WebKit's web
and network processes at the first screen and along the day. Asserts nothing
about memory (figures only). Started by scripts/measure-workday.sh, which
sets:

  E2E_APP     the yichuang-desktop binary
  E2E_DRIVER  tauri-driver URL
  E2E_DB      a fresh database path (the app seeds a demo station there)
  WORKDAY_CASES  how many counter cases (default 40)

The app's environment (YICHUANG_LP, a stand-in for CUPS) is inherited from
tauri-driver.
"""

import os
import subprocess
import time

from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["E2E_APP"]
DRIVER = os.environ["E2E_DRIVER"]
DB = os.environ["E2E_DB"]
CASES = int(os.environ.get("WORKDAY_CASES", "40"))
# (search, item, statuses, outcome): the day alternates a
# complete application (受理通知书) and one with a material missing (一次性告知单).
KINDS = [
    ("SYBXJ", "RS-SY-001", {}, "#outcome-accept"),
    ("GSRDSQ", "RS-GS-001", {"M3": "missing"}, "#outcome-request_materials"),
]


def tree(pid):
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [p for k in kids for p in tree(int(k))]


def memory_mb(pid):
    """(PSS, private) in MB. PSS shares each shared page among the processes
    mapping it, so it also moves with other WebKit processes on the machine;
    private memory (heap, caches) is this window's alone, and is where growth
    over the day shows."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            kb = {l.split(":")[0]: int(l.split()[1]) for l in f if l.split(":")[0] in
                  ("Pss", "Private_Clean", "Private_Dirty")}
        return kb.get("Pss", 0) / 1024, (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024
    except (OSError, ValueError, IndexError):
        return 0, 0


def wait(d, css, timeout=60):
    return WebDriverWait(d, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(d, css, text, timeout=60):
    WebDriverWait(d, timeout).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def click(d, css, timeout=30):
    end = time.time() + timeout
    while True:
        el = WebDriverWait(d, timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        try:
            el.click()
            return el
        except (ElementClickInterceptedException, StaleElementReferenceException):
            if time.time() > end:
                raise
            time.sleep(0.2)


def type_into(d, css, text):
    el = wait(d, css)
    el.click()
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(text)
    if el.get_attribute("value") != text:
        # Some WebDriver builds drop non-ASCII keys: set the value as an IME would.
        d.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", el, text)
    return el


def key(d, *keys):
    webdriver.ActionChains(d).send_keys(*keys).perform()


def main():
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": APP, "args": ["--db", DB, "--demo"]})
    d = webdriver.Remote(command_executor=DRIVER, options=opts)
    rows = []
    try:
        d.set_window_size(1280, 860)
        wait(d, 'body[data-ready="1"]')
        app = int(subprocess.run(["pgrep", "-n", "-f", APP], capture_output=True, text=True).stdout.split()[0])

        def report(step):
            time.sleep(2)  # let the page settle
            by = {"app": 0.0, "web": 0.0, "network": 0.0}
            private = 0.0
            for p in tree(app):
                try:
                    with open(f"/proc/{p}/comm") as f:
                        comm = f.read().strip()
                except OSError:
                    continue
                pss, own = memory_mb(p)
                by[{"WebKitWebProces": "web", "WebKitNetworkPr": "network"}.get(comm, "app")] += pss
                private += own
            total = sum(by.values())
            rows.append((step, by, total, private))
            print(f"{step:<34} PSS app {by['app']:5.0f}  web {by['web']:5.0f}  network {by['network']:4.0f}"
                  f"  total {total:5.0f} MB; private {private:5.0f} MB", flush=True)

        report("first screen (log-in)")
        type_into(d, "#login-staff", "2001")
        type_into(d, "#login-password", "demo1234").send_keys(Keys.ENTER)
        wait_text(d, "#current-clerk", "张窗口")
        report("logged in (受理登记)")
        views = [e.get_attribute("id") for e in d.find_elements(By.CSS_SELECTOR, "button[id^='nav-']")]
        views = [v for v in views if v != "nav-intake"]
        print(f"views visited after each case: {', '.join(v[4:] for v in views)}", flush=True)

        t0 = time.time()
        to_preview = []
        for i in range(CASES):
            search, item, statuses, outcome = KINDS[i % len(KINDS)]
            click(d, "#nav-intake")
            key(d, Keys.F2)
            type_into(d, "#item-search", search)
            wait(d, f'button[data-code="{item}"]')
            wait_text(d, ".item-list button.sel", item)
            d.find_element(By.CSS_SELECTOR, "#item-search").send_keys(Keys.ENTER)
            wait_text(d, "#picked-item", item)
            type_into(d, "#applicant-name", "周测试")
            type_into(d, "#applicant-id", "11010519491231002X")
            wait_text(d, "#id-check", "校验通过")
            click(d, "#all-received")
            for code, status in statuses.items():
                click(d, f'[data-material="{code}"] [data-status="{status}"]')
            click(d, "#register")
            t = time.time()
            click(d, outcome)
            # The notice: previewed (page images), then sent to the printer.
            wait(d, "#preview-pages img")
            # Decision + render + record + preview images, as the clerk waits for it.
            to_preview.append((time.time() - t) * 1000)
            click(d, "#print-send")
            wait_text(d, "#print-status", "已发送")
            key(d, Keys.ESCAPE)
            time.sleep(0.4)
            for v in views:
                click(d, f"#{v}")
                time.sleep(0.3)
            if i == 0 or (i + 1) % 10 == 0:
                report(f"after case {i + 1} (notice + every view)")
        print(f"{CASES} cases in {time.time() - t0:.0f} s", flush=True)
        rest = sorted(to_preview[1:]) or [0]
        print(f"decision → preview shown: first notice {to_preview[0]:.0f} ms, the others median"
              f" {rest[len(rest) // 2]:.0f} ms (min {rest[0]:.0f}, max {rest[-1]:.0f}); through WebDriver",
              flush=True)

        # Sync: the sync view and 立即同步 (the demo station is not enrolled
        # with a county unless one is given, so the button may be disabled).
        click(d, "#nav-sync")
        wait(d, "#sync-details")
        buttons = d.find_elements(By.CSS_SELECTOR, "#sync-now")
        if buttons and buttons[0].is_enabled():
            buttons[0].click()
            time.sleep(3)
            print("sync: 立即同步 pressed", flush=True)
        else:
            print("sync: station not enrolled, 立即同步 disabled (sync view only)", flush=True)
        report("after sync: end of the day")
        click(d, "#nav-intake")
        report("back on 受理登记, idle")
        # What the page itself holds: the same document loaded afresh (the
        # log-in screen). Whatever stays is WebKit's and its allocator's.
        d.refresh()
        wait(d, 'body[data-ready="1"]')
        report("page reloaded (log-in screen)")
    finally:
        d.quit()
    first, last = rows[0], rows[-2]
    print(f"summary: first screen {first[2]:.0f} MB PSS (goal ≤ 200), after the day {last[2]:.0f} MB PSS"
          f" (goal ≤ 250); private memory {first[3]:.0f} → {last[3]:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
