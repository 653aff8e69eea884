# Running `claude-hooks serve` for scripts/start: a user systemd unit where a user manager runs, otherwise a
# background process whose log is capped and rotated. Everything written here is the user's alone (0600/0700),
# whatever the caller's umask: the log holds prompts, repository names and errors.

serve_log_max_bytes=$((10 * 1024 * 1024))
serve_log_keep=3

# True when `systemctl --user` reaches a running user manager (not in containers or CI, where PID 1 is no systemd).
user_systemd_running() {
    command -v systemctl >/dev/null 2>&1 || return 1
    [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR/systemd" ] || return 1
    case "$(systemctl --user is-system-running 2>/dev/null || true)" in
        running | degraded | starting) return 0 ;;
        *) return 1 ;;
    esac
}

# Makes a folder (and its parents) 0700, or takes group and other access off one that exists.
private_dir() {
    (umask 077 && mkdir -p "$1")
    chmod 700 "$1"
}

# Creates FILE 0600 if it is missing; takes group and other access off it if not.
private_file() {
    (umask 077 && : >>"$1")
    chmod 600 "$1"
}

# Moves FILE to FILE.1, FILE.1 to FILE.2 and so on, dropping the one past KEEP, and starts FILE empty.
rotate_log() {
    local file=$1 keep=$2 i
    for ((i = keep - 1; i >= 1; i--)); do
        if [ -f "$file.$i" ]; then mv -f "$file.$i" "$file.$((i + 1))"; fi
    done
    if [ -f "$file" ]; then mv -f "$file" "$file.1"; fi
    private_file "$file"
}

# Appends its input to FILE line by line and rotates FILE once it holds MAX bytes, keeping KEEP old ones, so the log
# of a service that runs for months stays within (KEEP + 1) * MAX. Hang-ups and Ctrl-C are ignored: it ends when
# the service closes its output.
write_rotated_log() {
    local file=$1 max=$2 keep=$3 line size i
    trap '' HUP INT TERM
    # Bytes, not characters, when counting what a line adds.
    local LC_ALL=C
    private_file "$file"
    for ((i = 1; i <= keep; i++)); do
        if [ -f "$file.$i" ]; then chmod 600 "$file.$i"; fi
    done
    size=$(stat -c %s "$file")
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "$size" -ge "$max" ]; then
            rotate_log "$file" "$keep"
            size=0
        fi
        printf '%s\n' "$line" >>"$file"
        size=$((size + ${#line} + 1))
    done
}

# Prints the user unit: deploy/systemd/user/claude-hooks.service with the executable, the listen address and the
# environment of this install put in. Each ENVIRONMENT argument is NAME=value.
render_user_unit() {
    local template=$1 app=$2 urls=$3 repo=$4
    shift 4
    local environment="" pair unit
    for pair in "$@"; do
        environment+="Environment=\"${pair//%/%%}\""$'\n'
    done
    shopt -u patsub_replacement 2>/dev/null || true
    unit=$(<"$template")
    unit=${unit//@APP@/${app//%/%%}}
    unit=${unit//@URLS@/${urls//%/%%}}
    unit=${unit//@REPO@/${repo//%/%%}}
    unit=${unit//@ENVIRONMENT@$'\n'/$environment}
    printf '%s\n' "$unit"
}
