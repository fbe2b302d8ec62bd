#!/usr/bin/env bash
# Makes a machine look like a GitHub-hosted runner image for the e2e tests' hosted profile:
# a non-root `runner` user (uid 1001 when free, as on GitHub) with passwordless sudo, and the
# nixbld build users a multi-user nix-daemon builds as.
#
#   prepare.sh                 this machine (Debian's nix-bin already made the nixbld users)
#   prepare.sh CHROOT TOOL     a chroot made by modern-nix.sh (TOOL): also installs sudo and
#                              qemu-user-static in it, gives it the same runner user as this
#                              machine (files under the shared /tmp have one owner) and nixbld
#                              build users of its own
#
# Idempotent: a second call only checks. Run as root (the harness and .ci/run do).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
chroot_dir=${1:-}
tool=${2:-}
[ "$(id -u)" = 0 ] || { echo "prepare.sh: run as root" >&2; exit 1; }

if ! getent passwd runner >/dev/null; then
  if getent passwd 1001 >/dev/null || getent group 1001 >/dev/null; then useradd -m -s /bin/bash runner
  else groupadd -g 1001 runner && useradd -m -u 1001 -g 1001 -s /bin/bash runner; fi
fi
getent group nixbld >/dev/null || { echo "prepare.sh: no nixbld group: install Debian's nix-bin first" >&2; exit 1; }
sudoers='runner ALL=(ALL) NOPASSWD:ALL'

if [ -z "$chroot_dir" ]; then
  command -v sudo >/dev/null || { echo "prepare.sh: sudo is not installed (apt-get install sudo)" >&2; exit 1; }
  [ "$(cat /etc/sudoers.d/runner 2>/dev/null)" = "$sudoers" ] || { echo "$sudoers" >/etc/sudoers.d/runner; chmod 0440 /etc/sudoers.d/runner; }
  exit 0
fi

[ -x "$tool" ] || { echo "prepare.sh: modern-nix.sh not found at '$tool'" >&2; exit 1; }
inside() { "$tool" run "$chroot_dir" -- "$@"; }
missing=()
[ -x "$chroot_dir/usr/bin/sudo" ] || missing+=(sudo)
# Debian trixie and later ship the static build as /usr/bin/qemu-aarch64 (qemu-user-static is transitional).
[ -x "$chroot_dir/usr/bin/qemu-aarch64-static" ] || [ -x "$chroot_dir/usr/bin/qemu-aarch64" ] || missing+=(qemu-user-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "prepare.sh: installing ${missing[*]} in $chroot_dir" >&2
  # The mirror may be a snapshot whose Release file is past its Valid-Until date.
  inside apt-get -o Acquire::Check-Valid-Until=false update -qq
  inside apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  inside apt-get clean
fi

# The same numeric ids as on this machine: the chroot shares /tmp with it.
if ! grep -q '^runner:' "$chroot_dir/etc/passwd"; then
  uid=$(getent passwd runner | cut -d: -f3)
  gid=$(getent passwd runner | cut -d: -f4)
  inside groupadd -g "$gid" runner
  inside useradd -m -u "$uid" -g "$gid" -s /bin/bash runner
fi
# Build users of its own, not this machine's: Nix kills every process of a build user's uid before
# it builds as that user, and the two stores keep separate user pools, so shared uids would let
# one Nix kill the other's builds.
build_gid=30000
if grep -q '^nixbld:' "$chroot_dir/etc/group" && [ "$(grep '^nixbld:' "$chroot_dir/etc/group" | cut -d: -f3)" != $build_gid ]; then
  for user in $(grep '^nixbld:' "$chroot_dir/etc/group" | cut -d: -f4 | tr ',' ' '); do inside userdel "$user"; done
  grep -q '^nixbld:' "$chroot_dir/etc/group" && inside groupdel nixbld
fi
grep -q '^nixbld:' "$chroot_dir/etc/group" || inside groupadd -g $build_gid nixbld
for i in $(seq 1 10); do
  grep -q "^nixbld$i:" "$chroot_dir/etc/passwd" && continue
  inside useradd -M -u $((build_gid + i)) -g nixbld -G nixbld -d /var/empty -s /usr/sbin/nologin "nixbld$i"
done
# sudo resolves the host name; debootstrap leaves no /etc/hosts.
[ -e "$chroot_dir/etc/hosts" ] || cp /etc/hosts "$chroot_dir/etc/hosts"
[ "$(cat "$chroot_dir/etc/sudoers.d/runner" 2>/dev/null)" = "$sudoers" ] || { echo "$sudoers" >"$chroot_dir/etc/sudoers.d/runner"; chmod 0440 "$chroot_dir/etc/sudoers.d/runner"; }
