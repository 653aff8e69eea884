# Docker engine and base image provisioning, sourced by scripts/start and scripts/test.
# Every step checks first and only acts when something is missing, so a second run is fast.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Starts dockerd in the background when no engine answers (machines without systemd).
ensure_engine() {
    if docker info >/dev/null 2>&1; then return 0; fi
    command -v dockerd >/dev/null 2>&1 || apt_install docker.io
    if docker info >/dev/null 2>&1; then return 0; fi
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        as_root systemctl start docker || true
    fi
    if ! docker info >/dev/null 2>&1; then
        local logfile=${CLAUDE_HOOKS_DOCKERD_LOG:-/var/log/claude-hooks-dockerd.log}
        log "starting dockerd in the background (log: $logfile)"
        as_root sh -c "nohup dockerd >>'$logfile' 2>&1 &"
    fi
    local i
    for i in $(seq 1 60); do
        docker info >/dev/null 2>&1 && { log "docker engine is up"; return 0; }
        sleep 1
    done
    die "the Docker engine did not answer within 60 s; see ${logfile:-the dockerd log} and run 'docker info'"
}

# The agent Dockerfile starts FROM debian:bookworm-slim. Where no registry is reachable, an equivalent
# minbase root filesystem is built from the configured Debian mirror and imported under the same tag.
ensure_base_image() {
    local tag=debian:bookworm-slim
    docker image inspect "$tag" >/dev/null 2>&1 && return 0
    log "pulling $tag"
    if timeout 60 docker pull -q "$tag" >/dev/null 2>&1; then return 0; fi
    log "pull failed; building $tag locally with debootstrap (a few minutes, once)"
    apt_install debootstrap
    local mirror
    mirror=$(debian_mirror)
    local root
    root=$(mktemp -d /var/tmp/bookworm-root.XXXXXX)
    as_root debootstrap --variant=minbase bookworm "$root" "$mirror" >/var/tmp/claude-hooks-debootstrap.log 2>&1 \
        || die "debootstrap failed; see /var/tmp/claude-hooks-debootstrap.log"
    as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    as_root tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$tag" >/dev/null
    as_root rm -rf "$root"
    log "imported $tag"
}

debian_mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1)
    [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n 1)
    echo "${uri:-http://deb.debian.org/debian}"
}

ensure_dotnet() {
    command -v dotnet >/dev/null 2>&1 && return 0
    log ".NET SDK missing; installing dotnet-sdk-10.0 with dotnet-install into /usr/local/dotnet"
    apt_install curl ca-certificates libicu72
    curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh \
        || die "cannot download dotnet-install.sh; install the .NET 10 SDK and re-run"
    as_root bash /tmp/dotnet-install.sh --channel 10.0 --install-dir /usr/local/dotnet >/dev/null
    as_root ln -sf /usr/local/dotnet/dotnet /usr/local/bin/dotnet
}
