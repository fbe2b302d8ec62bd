#!/usr/bin/env bash
# Runs a hosted-profile step inside a modern-nix.sh chroot, as `modern-nix.sh run` does (a private
# mount namespace with /tmp, /proc, /sys, /dev, the working directory and BINDS at the same paths),
# but with no /bin/sh between here and the command. The chroot's sh is dash, which drops
# environment variables whose names are not shell identifiers, and a runner hands inputs to the
# action as INPUT_CACHIX-AUTH-TOKEN and the like.
#
#   in-chroot.sh ROOT BINDS -- CMD...    BINDS: colon-separated host paths, may be empty
# Every step is exec, so CMD keeps this script's PID (signals reach it directly).
set -euo pipefail
# Our own tools first; the command gets the caller's PATH back.
if [ "${1-}" != __inner ]; then
  export IN_CHROOT_CALLER_PATH=${PATH-}
  PATH=/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
  exec unshare --mount --propagation private -- "$(readlink -f "$0")" __inner "$(pwd -P)" "$@"
fi
shift
cwd=$1 root=$2 binds=$3
shift 3
[ "${1-}" = -- ] && shift
for dir in tmp proc sys dev; do mount --rbind "/$dir" "$root/$dir"; done
bind_same() {
  local src
  src=$(readlink -f "$1") || return 0
  [ -e "$src" ] || return 0
  case $src in /|/tmp|/tmp/*|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/nix|/nix/*) return 0 ;; esac
  case $src/ in "$root"/*) return 0 ;; esac
  if [ -d "$src" ]; then mkdir -p "$root$src"; else mkdir -p "$(dirname "$root$src")" && touch "$root$src"; fi
  mount --rbind "$src" "$root$src"
}
bind_same "$cwd"
IFS=: read -r -a extra <<<"$binds"
for path in "${extra[@]}"; do [ -n "$path" ] && bind_same "$path"; done
export PATH=$IN_CHROOT_CALLER_PATH
unset IN_CHROOT_CALLER_PATH
exec /usr/sbin/chroot "$root" /usr/bin/env -C "$cwd" "$@"
