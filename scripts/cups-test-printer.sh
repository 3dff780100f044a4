#!/usr/bin/env bash
# A private CUPS for the tests: its own cupsd (not the machine's) on a
# loopback port, with two raw queues:
#   counter  — a backend that keeps each job's bytes as <spool>/<job title>
#              (lp names a job after its file), so a test compares bytes;
#   broken   — a backend that fails every job, as a printer out of paper or
#              unplugged does (CUPS then stops the queue).
# Usage: scripts/cups-test-printer.sh start DIR SPOOL   → prints CUPS_SERVER (host:port)
#        scripts/cups-test-printer.sh stop DIR
# Needs Debian's cups-daemon and cups-client (installed by test-desktop.sh).
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?state folder}

if [ "$cmd" = stop ]; then
  [ -f "$dir/cupsd.pid" ] && kill "$(cat "$dir/cupsd.pid")" 2>/dev/null || true
  exit 0
fi
spool=${3:?spool folder}
mkdir -p "$dir"/{etc/ppd,bin/backend,bin/filter,bin/daemon,cache,state,spool/tmp,log} "$spool"
# cupsd runs jobs from its ServerBin: our backends, the system's daemons.
for f in /usr/lib/cups/daemon/*; do ln -sf "$f" "$dir/bin/daemon/"; done
cat > "$dir/bin/backend/keep" <<'SH'
#!/bin/sh
# CUPS backend: argv job user title copies options [file]; the device URI
# keep:/folder names where the bytes go. No arguments: discovery.
[ $# -eq 0 ] && { echo 'direct keep "Unknown" "Keeps job bytes (tests)"'; exit 0; }
dest=${DEVICE_URI#keep:}
name=$(basename "$3")
if [ $# -ge 6 ]; then cat "$6" > "$dest/$name.part"; else cat > "$dest/$name.part"; fi
mv "$dest/$name.part" "$dest/$name"
SH
cat > "$dir/bin/backend/broken" <<'SH'
#!/bin/sh
[ $# -eq 0 ] && { echo 'direct broken "Unknown" "Always fails (tests)"'; exit 0; }
cat > /dev/null
echo "ERROR: printer not responding (test printer)" >&2
exit 1
SH
# 0700: cupsd runs such backends as its own user (root, or the tester), so
# they reach the test's private folders (mktemp makes them 0700).
chmod 0700 "$dir/bin/backend/keep" "$dir/bin/backend/broken"
chmod 0777 "$spool"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/etc/cupsd.conf" <<CONF
Listen 127.0.0.1:$port
LogLevel warn
# As Debian's stock cupsd.conf: a failed job waits for a retry.
ErrorPolicy retry-job
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Location /admin>
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF
user=$(id -un) group=$(id -gn)
if [ "$(id -u)" -eq 0 ]; then user=lp group=lp; fi
cat > "$dir/etc/cups-files.conf" <<CONF
ServerRoot $dir/etc
ServerBin $dir/bin
DataDir /usr/share/cups
CacheDir $dir/cache
StateDir $dir/state
RequestRoot $dir/spool
TempDir $dir/spool/tmp
AccessLog $dir/log/access_log
ErrorLog $dir/log/error_log
PageLog $dir/log/page_log
User $user
Group $group
SystemGroup $(id -gn)
FileDevice No
CONF
[ "$(id -u)" -eq 0 ] && chown -R root "$dir/etc" && chmod 0755 "$dir" "$dir/etc" && chown lp "$dir/spool" "$dir/spool/tmp" "$dir/cache" 2>/dev/null || true
/usr/sbin/cupsd -f -c "$dir/etc/cupsd.conf" -s "$dir/etc/cups-files.conf" >"$dir/log/cupsd.out" 2>&1 &
echo $! > "$dir/cupsd.pid"
export CUPS_SERVER="127.0.0.1:$port"
for _ in $(seq 100); do lpstat -r >/dev/null 2>&1 && break; sleep 0.1; done
lpstat -r >/dev/null 2>&1 || { echo "cupsd did not start:" >&2; cat "$dir/log/cupsd.out" "$dir/log/error_log" >&2 2>/dev/null; exit 1; }
# Raw queues: the bytes the app sends are the bytes the backend gets.
# lpadmin warns that raw queues are deprecated (kept quiet); a scheduler that
# answers lpstat may still refuse an admin request for a moment after start
# (seen once in CI, with nothing said): try a few times, then show why.
admin() {
  local out
  for _ in $(seq 20); do
    if out=$(lpadmin "$@" 2>&1); then return 0; fi
    sleep 0.25
  done
  echo "lpadmin $* failed: $out" >&2
  cat "$dir/log/cupsd.out" "$dir/log/error_log" >&2 2>/dev/null || true
  return 1
}
admin -p counter -E -v "keep:$spool" -m raw
admin -p broken -E -v "broken:/" -m raw
admin -d counter
echo "$CUPS_SERVER"
