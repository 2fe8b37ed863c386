#!/usr/bin/env bash
# Builds .cache/busybox.tar: a tiny rootfs (busybox-static plus applet links)
# that berth's integration tests and demo import as an image.
# Idempotent: does nothing when the tar is newer than the busybox binary.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
busybox=${BUSYBOX:-/usr/bin/busybox}
out="$repo_root/.cache/busybox.tar"

if [[ ! -x "$busybox" ]]; then
  echo "build-image: $busybox not found; install the Debian package busybox-static" >&2
  exit 1
fi
# A dynamically linked busybox would need the host's libc inside the rootfs
# (ldd succeeds only on dynamic executables).
if ldd "$busybox" >/dev/null 2>&1; then
  echo "build-image: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

if [[ -f "$out" && "$out" -nt "$busybox" ]]; then
  exit 0
fi

mkdir -p "$repo_root/.cache"
work=$(mktemp -d "$repo_root/.cache/busybox-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,run,var/tmp}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
chmod 755 "$rootfs/bin/busybox"

# `--list-full` gives each applet's install dir (bin/sh, usr/bin/env, ...);
# fall back to bin/ for builds that only know `--list`.
if "$busybox" --list-full >/dev/null 2>&1; then
  applets=$("$busybox" --list-full)
else
  applets=$("$busybox" --list | sed 's|^|bin/|')
fi
while IFS= read -r applet; do
  [[ -z "$applet" || "$applet" == "bin/busybox" ]] && continue
  dir=$(dirname "$applet")
  mkdir -p "$rootfs/$dir"
  # Relative links keep the rootfs valid wherever it is mounted.
  rel=$(realpath -m --relative-to="$rootfs/$dir" "$rootfs/bin/busybox")
  ln -sfn "$rel" "$rootfs/$applet"
done <<<"$applets"

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

# Write to a temp name first so an interrupted build never leaves a truncated tar.
tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$work/busybox.tar" .
mv -f "$work/busybox.tar" "$out"
echo "build-image: wrote $out"
