#!/usr/bin/env bash
# Makes a fresh Debian machine ready for berth, idempotently:
#   system packages (runc, conmon, nats-server, busybox-static, and
#   golang-github-containers-common for its seccomp.json, containernetworking-plugins
#   for the bridge network, and a docker client for the Docker API tests: Debian's
#   docker.io, whose daemons are never started, and Prometheus, a real consumer of the
#   Docker API's service discovery, whose service is never started either) via apt-get,
#   node_modules via npm ci when package-lock.json changed,
#   and the busybox image tarball that the tests and the demo import.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

say() { echo "bootstrap: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  say "berth drives runc, conmon and overlay mounts: run as root"
  exit 1
fi

need=()
# skopeo fills the test registry (docker-registry) and umoci is the reference unpack of OCI images;
# setfattr (attr) writes layers' xattrs and overlay's opaque marker when a layer is unpacked;
# htpasswd (apache2-utils) makes the bcrypt password file of the registry auth test;
# gcc builds the sandbox test's syscall probe; the completion test runs the zsh and fish scripts.
for pair in runc:runc conmon:conmon nats-server:nats-server busybox:busybox-static \
  skopeo:skopeo umoci:umoci docker-registry:docker-registry setfattr:attr htpasswd:apache2-utils \
  gcc:gcc zsh:zsh fish:fish; do
  bin=${pair%%:*} pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
# A dynamic busybox (package busybox) cannot run inside the image: the static one is needed.
if command -v busybox >/dev/null 2>&1 && ldd "$(command -v busybox)" >/dev/null 2>&1; then
  need+=(busybox-static)
fi
# Podman's default seccomp profile, which berth applies to every container unless told otherwise.
[[ -f /usr/share/containers/seccomp.json ]] || need+=(golang-github-containers-common)
# The CNI reference plugins (bridge, host-local, portmap, loopback, firewall) make the bridge network.
[[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)
# The sandbox test builds a static syscall probe: gcc -static needs libc.a.
[[ -f /usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/libc.a ]] || need+=(libc6-dev)
# The docker CLI drives berth's Docker Engine API socket in the tests. Debian packages it only
# inside docker.io, with a dockerd and containerd that must never run here: while it installs,
# a policy-rc.d refuses every service start (exit 101), and it is removed afterwards.
# Prometheus' docker_sd_configs is a real consumer of berth's Docker API in the tests; its
# package ships a service that must not run here either, so it takes the same policy-rc.d.
no_services=0
command -v docker >/dev/null 2>&1 || { need+=(docker.io); no_services=1; }
command -v prometheus >/dev/null 2>&1 || { need+=(prometheus); no_services=1; }
if ((${#need[@]})); then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if ((no_services)) && [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  ((made_policy)) && rm -f "$policy"
  if ((no_services)); then
    # Should a service manager have started them anyway, berth's tests must not meet a dockerd.
    # (A stray Prometheus would only hold port 9090: the tests run theirs on a free port.)
    pkill -x dockerd 2>/dev/null || true
    pkill -x containerd 2>/dev/null || true
  fi
fi

stamp=node_modules/.package-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "npm ci"
  # node-unix-socket lists optional platform packages that the registry does not
  # have; npm ci refuses such a lock ("Missing: ... from lock file") while npm
  # install skips them and still installs the locked versions.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/berth-npm-ci.log; then
    grep -q "from lock file" /tmp/berth-npm-ci.log || { cat /tmp/berth-npm-ci.log >&2; exit 1; }
    say "npm ci refused the lock's missing optional packages; npm install with the lock instead"
    npm install --no-audit --no-fund --loglevel=error
    git checkout -- package-lock.json 2>/dev/null || true
  fi
  echo "$want" >"$stamp"
fi

bash scripts/build-image.sh
