#!/usr/bin/env bash
# Puts Debian's static arm64 busybox at OUTDIR/busybox: the shell of the sample aarch64 host,
# run under QEMU. Uses apt's own downloader with a private arm64 package list (no dpkg changes).
set -euo pipefail
out=${1:?usage: aarch64-busybox.sh OUTDIR}
[ -x "$out/busybox" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$out"
opts=(-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Dir::State::Lists="$work/lists" -o Debug::NoLocking=1)
apt-get "${opts[@]}" update -qq >/dev/null 2>&1
(cd "$work" && apt-get "${opts[@]}" download busybox-static >/dev/null 2>&1)
dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/root"
install -m 755 "$work/root/bin/busybox" "$out/busybox"
