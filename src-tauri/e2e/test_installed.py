"""The desktop app as an IT person installs it: the binary from the .deb
(scripts/test-packages.sh installs it, then runs this through
scripts/test-desktop.sh with E2E_ONLY=installed), started the way the desktop
entry starts it — no arguments — on a user with no data yet. Its first screen
must be the set-up wizard of a new station, in the window's own title.

Environment as test_desktop.py (E2E_APP is the installed binary), plus
E2E_DATA, the user's XDG_DATA_HOME (empty before the start).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import test_desktop as t  # noqa: E402  (the shared helpers)

DATA = os.environ["E2E_DATA"]


def main():
    assert t.APP.startswith("/usr/bin/"), f"not the installed binary: {t.APP}"
    assert not (os.path.isdir(DATA) and os.listdir(DATA)), f"{DATA} is not empty"
    d = t.start_app([])
    try:
        t.wait(d, 'body[data-ready="1"]', timeout=60, visible=False)
        t.wait(d, "#setup-wizard")
        assert d.title == "一窗 · 窗口受理", d.title
        t.wait(d, "#setup-code")
        t.shot(d, "installed-first-screen")
        t.log("the installed app opens on the set-up wizard")
    finally:
        d.quit()
    print("installed app: all steps passed")


if __name__ == "__main__":
    main()
