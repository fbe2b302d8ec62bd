#!/usr/bin/env bash
# Starts one remote builder of the lab: the chroot's sshd, on a loopback port, in a private mount
# namespace where STATE/nix is the chroot's /nix (a store of this builder's own, empty at first)
# and STATE/etc-nix its /etc/nix. sshd runs in the foreground; every step is exec, so the
# caller's child is sshd itself and SIGTERM stops it. Run as root.
#
#   start.sh ROOT STATE        STATE holds nix/, etc-nix/nix.conf and sshd_config (see builder.ts)
set -euo pipefail
if [ "${1-}" != __inner ]; then
  PATH=/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
  exec unshare --mount --propagation private -- "$(readlink -f "$0")" __inner "$@"
fi
shift
root=$1 state=$2
for dir in tmp proc sys dev; do mount --rbind "/$dir" "$root/$dir"; done
mount --bind "$state/nix" "$root/nix"
mount --bind "$state/etc-nix" "$root/etc/nix"
mkdir -p "$root/run/sshd"
exec /usr/sbin/chroot "$root" /usr/sbin/sshd -D -e -f "$state/sshd_config"
