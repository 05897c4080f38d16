#!/usr/bin/env bash
# Installs (idempotently) what `make test` needs, and prepares the local test account.
# Debian only; run as root (CI and the dev machines are). Prints one line per thing it had to do.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v busybox >/dev/null || need_apt+=(busybox)
# collector/tests/proc_tokens.rs: the script's awk under gawk and mawk (and busybox awk) alike.
command -v gawk >/dev/null || need_apt+=(gawk)
command -v mawk >/dev/null || need_apt+=(mawk)
command -v pg_isready >/dev/null || need_apt+=(postgresql)
# The stack tests (tests/stack.rs, tests/compose.rs): Debian's nginx in front of the binary, envsubst
# for nginx/render.sh, openssl for its CSP hashes and the test certificate, curl for HTTP/2 + TLS.
[ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v envsubst >/dev/null || need_apt+=(gettext-base)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
command -v setpriv >/dev/null || need_apt+=(util-linux)   # nginx runs unprivileged in tests/stack.rs
command -v unshare >/dev/null || need_apt+=(util-linux)   # collector/tests/portability.rs
command -v mkfs.ext4 >/dev/null || need_apt+=(e2fsprogs)  # collector/tests/truth.rs (a loop-mounted test disk)
[ -x /usr/bin/promtool ] || need_apt+=(prometheus)     # api/tests/metrics.rs (promtool check metrics)
command -v ps >/dev/null || need_apt+=(procps)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)  # tests/kill9.rs (PRAGMA integrity_check)
# collector/tests/containers.rs: a private Docker daemon (started by the test, on its own socket),
# asked over its socket with netcat-openbsd's `nc -U`, as on Ubuntu where it is installed by default.
[ -x /usr/sbin/dockerd ] && command -v docker >/dev/null || need_apt+=(docker.io)
[ -x /usr/bin/nc.openbsd ] || need_apt+=(netcat-openbsd)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test-deps: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
mkdir -p /run/sshd

# Offline validators (tests/k8s.rs, tests/compose.rs): Kubernetes schemas and the compose spec,
# installed from PyPI only when missing.
# The tests run them as `python3 -m kubernetes_validate` / `python3 -m check_jsonschema`.
need_pip=()
python3 -c 'import kubernetes_validate' 2>/dev/null || need_pip+=(kubernetes-validate)
python3 -c 'import check_jsonschema' 2>/dev/null || need_pip+=(check-jsonschema)
python3 -c 'import aiosmtpd' 2>/dev/null || need_pip+=(aiosmtpd)   # collector/tests/alerting.rs: a real SMTP server
# api/tests/schemathesis.rs: fuzzes the API from its OpenAPI document (pinned: its CLI changes).
[ "$(schemathesis --version 2>/dev/null)" = "schemathesis, version 4.32.5" ] || need_pip+=(schemathesis==4.32.5)
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "test-deps: installing ${need_pip[*]} (pip)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${need_pip[@]}"
fi

# PostgreSQL: use the one answering on 127.0.0.1:5432, else start the local cluster.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "test-deps: installing postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Trust auth on loopback for the test databases (this is a test machine).
  if ! grep -q "fleetwatch-test" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # fleetwatch-test' "$conf/pg_hba.conf"
  fi
  echo "test-deps: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  pg_isready -h 127.0.0.1 -p 5432
fi

# Rust: the wasm target and the wasm-bindgen CLI at the version Cargo.lock pins.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "test-deps: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
.ci/wasm-bindgen.sh

# The account the SSH tests log in as (key and password). Its password is random, made once per
# machine and kept root-only outside the repository, so that several checkouts share it; the test
# sshd processes listen on loopback only.
secret_dir=/var/lib/fleetwatch-test
secret=$secret_dir/fwtest.password
if ! id fwtest >/dev/null 2>&1; then
  echo "test-deps: creating the local test account fwtest"
  useradd --create-home --shell /bin/sh fwtest
  rm -f "$secret"
fi
if [ ! -s "$secret" ]; then
  mkdir -p "$secret_dir" && chmod 700 "$secret_dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  echo "fwtest:$password" | chpasswd
  (umask 077 && printf '%s' "$password" > "$secret")
fi

# Python readers the tests compare exports with.
python3 -c "import openpyxl" 2>/dev/null || { echo "test-deps: installing openpyxl"; pip install -q openpyxl; }
