#!/usr/bin/env bash
# The lab's second machine for remote builds: Debian sid (Nix 2.34) with openssh-server, in a
# modern-nix.sh chroot of its own. Its sshd serves `nix-daemon --stdio` on a loopback port (see
# start.sh), each builder with a store of its own. The same chroot, with openssh-client, sudo and
# QEMU, is also the hosted runner of the Nix 2.34 pass for remote builds: the shared sid chroot
# (/opt/nix-sid) is minbase and has no ssh, which a GitHub runner image always has.
#
#   chroot.sh TOOL [ROOT]     TOOL: modern-nix.sh; ROOT: default $REMOTE_BUILDER_CHROOT or /opt/nix-sid-ssh
# Idempotent (about 35 s the first time, mostly download; instant once set up). Run as root.
set -euo pipefail
tool=${1:?usage: chroot.sh TOOL [ROOT]}
root=${2:-${REMOTE_BUILDER_CHROOT:-/opt/nix-sid-ssh}}
export MODERN_NIX_SUITE=sid MODERN_NIX_ROOT="$root" MODERN_NIX_EXTRA_PKGS=sudo,qemu-user,openssh-server,openssh-client
if [ -f "$root/.modern-nix-ready" ] && [ -x "$root/usr/sbin/sshd" ] && [ -x "$root/usr/bin/ssh" ]; then
  echo "remote-builder chroot $root is ready ($(cat "$root/.modern-nix-ready"))"
  exit 0
fi
"$tool" setup "$root"
