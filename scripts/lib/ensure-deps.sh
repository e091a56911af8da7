# Sourced by scripts/run.sh and scripts/test.sh: installs what netpol needs, idempotently, on a
# fresh Debian 12 machine as root. Nothing here runs twice when it is already in place.

# Debian packages the project needs; later components add theirs here.
# The dataplane (bpf/, test/dataplane/): clang and llvm build the eBPF object, libbpf-dev the loader
# helper, bpftool reads the object's BTF (the ABI drift test), iproute2 builds the lab namespaces.
NETPOL_APT_PACKAGES=(ca-certificates redis-server openssl clang llvm libbpf-dev bpftool iproute2 make)

ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "netpol: Node.js 20 or newer is required and was not found on PATH" >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "netpol: Node.js 20 or newer is required (found $(node --version))" >&2
    exit 1
  fi
}

ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "netpol: missing Debian packages (${missing[*]}); run as root or install them first" >&2
    exit 1
  fi
  echo "netpol: installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Installs the locked versions when node_modules is missing or older than the lock file.
# Not `npm ci`: npm 11.19 refuses its own lock files ("Missing: @msgpackr-extract/...-darwin-arm64
# from lock file": optional packages of other platforms), even one it has just written. `npm install`
# with a lock installs exactly the locked versions and leaves the lock unchanged (checked in a clean
# clone); `--no-save` keeps it that way should a future npm disagree.
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "netpol: installing npm packages (from package-lock.json)"
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
}

# kubectl proves the Kubernetes API stand-in speaks the real protocol. Some images ship one (from
# another package owning /usr/bin/kubectl); Debian's kubernetes-client is the fallback.
ensure_kubectl() {
  command -v kubectl >/dev/null 2>&1 || ensure_apt_packages kubernetes-client
}

# bpffs at /sys/fs/bpf, where the dataplane pins its maps. A fresh machine has none; mounting twice
# would stack mounts, so check first. Used by the dataplane tests (test/dataplane/).
ensure_bpffs() {
  if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = "bpf_fs" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "netpol: bpffs is not mounted at /sys/fs/bpf and mounting it needs root" >&2
    return 1
  fi
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf
}

ensure_all() {
  ensure_node
  ensure_apt_packages "${NETPOL_APT_PACKAGES[@]}"
  ensure_kubectl
  ensure_node_modules
}
