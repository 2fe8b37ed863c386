#!/usr/bin/env bash
# Part of `npm run build`: compiles native/spawn-broker.c into dist/native/berth-spawn,
# the posix_spawn broker the daemon runs its short commands through
# (src/effects/spawn-broker.ts). Without gcc the build says so and goes on: the
# daemon then runs those commands with execa, as it did before the broker.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo_root/dist/native"
if ! command -v gcc >/dev/null 2>&1; then
  echo "build-native: gcc not found, dist/native/berth-spawn not built (commands will run through execa)" >&2
  exit 0
fi
mkdir -p "$out"
gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$out/berth-spawn.tmp" "$repo_root/native/spawn-broker.c"
mv "$out/berth-spawn.tmp" "$out/berth-spawn"
