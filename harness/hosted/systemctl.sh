#!/bin/sh
# systemctl for one unit, nix-daemon.service, installed by nix-cachix-build's hosted-runner
# harness (harness/hosted) while a hosted-profile session runs, and removed after it. There is no
# systemd on the test machine, so this stands in for the two commands the action runs on a
# GitHub runner: `systemctl is-active --quiet nix-daemon.service` and
# `sudo systemctl restart nix-daemon.service`. The daemon behind it is the real nix-daemon,
# run as root by the session's supervisor; a restart stops it and starts it again, and it reads
# its nix.conf anew. Every other command goes to the real systemctl, if there is one.
set -u

# The session is named in the environment of the step that called us. sudo resets the
# environment, so look at our own and then at each parent's (we are root under sudo).
session=
pid=$$
while [ -z "$session" ] && [ "$pid" -gt 1 ]; do
  session=$(tr '\0' '\n' </proc/"$pid"/environ 2>/dev/null | sed -n 's/^NIX_CACHIX_BUILD_HOSTED_SESSION=//p')
  pid=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/"$pid"/status 2>/dev/null)
  [ -n "$pid" ] || pid=1
done

not_ours() {
  for real in /usr/bin/systemctl /bin/systemctl; do [ -x "$real" ] && exec "$real" "$@"; done
  echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2
  exit 1
}

quiet=false
verb=
unit=
for arg in "$@"; do
  case $arg in
    --quiet|-q) quiet=true ;;
    -*) not_ours "$@" ;;
    *) if [ -z "$verb" ]; then verb=$arg; elif [ -z "$unit" ]; then unit=$arg; else not_ours "$@"; fi ;;
  esac
done
case $unit in nix-daemon|nix-daemon.service) ;; *) not_ours "$@" ;; esac
[ -n "$session" ] && [ -f "$session/supervisor.pid" ] || not_ours "$@"

state() { cat "$session/state" 2>/dev/null || echo inactive; }
case $verb in
  is-active)
    s=$(state)
    $quiet || echo "$s"
    [ "$s" = active ]
    exit $?
    ;;
  restart)
    if [ "$(id -u)" != 0 ]; then
      echo "Failed to restart nix-daemon.service: Access denied" >&2
      exit 4
    fi
    before=$(cat "$session/generation" 2>/dev/null || echo 0)
    echo "restart $(date -u +%FT%T.%NZ) uid=${SUDO_UID:-0}" >>"$session/systemctl.log"
    kill -HUP "$(cat "$session/supervisor.pid")" 2>/dev/null || { echo "Failed to restart nix-daemon.service: Unit nix-daemon.service not loaded." >&2; exit 5; }
    # As systemctl does, return once the unit is up again (or has failed).
    i=0
    while [ "$(cat "$session/generation" 2>/dev/null || echo 0)" = "$before" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(state)" = active ] && exit 0
    echo "Job for nix-daemon.service failed because the control process exited with error code." >&2
    exit 1
    ;;
  *) not_ours "$@" ;;
esac
