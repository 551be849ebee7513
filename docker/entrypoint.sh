#!/bin/sh
# Cacherr container entrypoint.
#
# Runs as root only long enough to:
#   1. check PUID, PGID and UMASK (and refuse with a clear message when they are not numbers);
#   2. create or adjust the `cacherr` user and group to PUID:PGID (Unraid default 99:100, nobody:users);
#   3. apply TZ and UMASK;
#   4. give CONFIG_DIR (/config, and only /config: never the media mounts) to PUID:PGID;
#   5. drop privileges with setpriv (--no-new-privs) and `exec` the command (default `cacherr serve`),
#      so that the Python process receives SIGTERM from `docker stop` directly and can finish or
#      journal the running file operation.
#
# What is already right is skipped, so a read-only /etc (`--read-only`), missing capabilities or a
# root-squashed appdata folder only stop the start when they matter, with one line saying what to change.
#
# Started as a non-root user (`docker run --user`), it skips 2 and 4 and runs the command as that user.
# Every path is overridable for tests: CONFIG_DIR, CACHERR_USER, CACHERR_ZONEINFO, CACHERR_LOCALTIME.
set -eu

me="cacherr-entrypoint"

die() {
    printf '%s: error: %s\n' "$me" "$*" >&2
    exit 64
}

say() {
    printf '%s: %s\n' "$me" "$*" >&2
}

# A blank variable means "not set here": Unraid templates pass blank fields as empty strings, and an
# empty value would otherwise override the default and the value saved from the dashboard.
for name in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)=$/\1/p'); do
    unset "$name"
done

PUID="${PUID:-99}"
PGID="${PGID:-100}"
UMASK="${UMASK:-000}"
TZ="${TZ:-Etc/UTC}"
CONFIG_DIR="${CONFIG_DIR:-/config}"
APP_USER="${CACHERR_USER:-cacherr}"
ZONEINFO="${CACHERR_ZONEINFO:-/usr/share/zoneinfo}"
LOCALTIME="${CACHERR_LOCALTIME:-/etc/localtime}"

is_id() {
    case "$1" in
        '' | *[!0-9]*) return 1 ;;
    esac
    # at most 10 digits and below 2^32 - 1 (4294967295 is "no id" to the kernel)
    [ "${#1}" -le 10 ] && [ "$1" -lt 4294967295 ] 2>/dev/null
}

is_id "$PUID" || die "PUID='$PUID' is not a user id. Set PUID to a number (Unraid: 99 = nobody; run \`id -u <user>\` on the host to find yours)."
is_id "$PGID" || die "PGID='$PGID' is not a group id. Set PGID to a number (Unraid: 100 = users; run \`id -g <user>\` on the host to find yours)."
case "$UMASK" in
    [0-7][0-7][0-7] | 0[0-7][0-7][0-7]) ;;
    *) die "UMASK='$UMASK' is not an octal umask. Set UMASK to three octal digits such as 000 (Unraid default) or 002." ;;
esac
case "$CONFIG_DIR" in
    /*) ;;
    *) die "CONFIG_DIR='$CONFIG_DIR' must be an absolute path (default /config)." ;;
esac
case "$CONFIG_DIR" in
    / | /mnt | /mnt/* | /mediasource | /mediasource/* | /cache | /cache/* | /plexsource | /plexsource/*)
        die "CONFIG_DIR='$CONFIG_DIR' looks like a media or system folder; Cacherr changes the owner of CONFIG_DIR, so point it at its own appdata folder (/config)." ;;
esac

# --- time zone ---------------------------------------------------------------------------------
if [ -f "$ZONEINFO/$TZ" ]; then
    if [ "$(id -u)" = 0 ] && [ -w "$(dirname "$LOCALTIME")" ]; then
        ln -sf "$ZONEINFO/$TZ" "$LOCALTIME"
    fi
else
    say "warning: TZ='$TZ' is not a known time zone (see $ZONEINFO); using it as given, times may be shown in UTC."
fi
# Cacherr reads the same values (PUID/PGID own the folders it creates, UMASK its new files).
export TZ PUID PGID UMASK CONFIG_DIR
export HOME="$CONFIG_DIR"
umask "$UMASK"

if [ "$#" -eq 0 ]; then
    set -- cacherr serve
fi

if [ "$(id -u)" != 0 ]; then
    say "started as uid $(id -u) (not root): PUID/PGID are ignored and $CONFIG_DIR must already be writable."
    exec "$@"
fi

# --- user and group ----------------------------------------------------------------------------
if [ "$PUID" = 0 ]; then
    say "warning: PUID=0 runs Cacherr as root; Unraid's convention is 99:100."
fi

# Capabilities this start needs (docker run --cap-drop ALL removes them): bits of CapEff.
has_cap() {
    capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status 2>/dev/null)
    [ -n "$capeff" ] || return 0
    [ $(( (0x$capeff >> $1) & 1 )) = 1 ]
}
CAP_CHOWN=0
CAP_SETGID=6
CAP_SETUID=7
ids="$PUID:$PGID"

if [ "$PUID" != 0 ] && { ! has_cap "$CAP_SETUID" || ! has_cap "$CAP_SETGID"; }; then
    die "cannot switch to PUID:PGID $ids: the container lacks CAP_SETUID/CAP_SETGID (--cap-drop ALL?). Add --cap-add SETUID --cap-add SETGID --cap-add CHOWN, or run it as --user $ids with $CONFIG_DIR already owned by $ids."
fi

# The `cacherr` user only names PUID:PGID (setpriv below takes numbers); a read-only /etc
# (docker run --read-only) keeps the image's user, and the process still runs as PUID:PGID.
sync_user() {
    if getent group "$APP_USER" >/dev/null 2>&1; then
        if [ "$(getent group "$APP_USER" | cut -d: -f3)" != "$PGID" ]; then
            groupmod -o -g "$PGID" "$APP_USER" || return 1
        fi
    else
        groupadd -o -g "$PGID" "$APP_USER" || return 1
    fi
    if getent passwd "$APP_USER" >/dev/null 2>&1; then
        if [ "$(id -u "$APP_USER")" != "$PUID" ]; then
            usermod -o -u "$PUID" "$APP_USER" >/dev/null || return 1
        fi
        if [ "$(id -g "$APP_USER")" != "$PGID" ]; then
            usermod -g "$PGID" "$APP_USER" || return 1
        fi
    else
        useradd -o -M -N -u "$PUID" -g "$PGID" -d "$CONFIG_DIR" -s /usr/sbin/nologin "$APP_USER" || return 1
    fi
}

user_is_right() {
    [ "$(id -u "$APP_USER" 2>/dev/null)" = "$PUID" ] && [ "$(id -g "$APP_USER" 2>/dev/null)" = "$PGID" ] \
        && [ "$(getent group "$APP_USER" | cut -d: -f3)" = "$PGID" ]
}

if user_is_right; then
    :
elif [ -w /etc/passwd ] && [ -w /etc/group ]; then
    if ! sync_user 2>/dev/null; then
        say "warning: could not set the user '$APP_USER' to $ids (capabilities dropped?); running as $ids all the same."
    fi
else
    say "/etc is read-only (--read-only?): the user '$APP_USER' keeps its image ids; running as $ids all the same."
fi
export USER="$APP_USER" LOGNAME="$APP_USER"

# Runs a test as PUID:PGID, to see what the app will be able to do.
as_app() {
    setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
}

# --- the config folder (only this folder: never chown media) -----------------------------------
if [ ! -d "$CONFIG_DIR" ] && ! mkdir -p "$CONFIG_DIR" 2>/dev/null; then
    die "cannot create $CONFIG_DIR (read-only container or host folder?). Mount a writable folder at $CONFIG_DIR, owned by $ids."
fi
# Only what is not already PUID:PGID is chowned: a folder already right needs no CAP_CHOWN.
wrong=$(find "$CONFIG_DIR" -xdev \( ! -user "$PUID" -o ! -group "$PGID" \) -print 2>/dev/null | head -n 1)
if [ -n "$wrong" ]; then
    if ! has_cap "$CAP_CHOWN" \
        || ! find "$CONFIG_DIR" -xdev \( ! -user "$PUID" -o ! -group "$PGID" \) -exec chown -h "$ids" {} + 2>/dev/null; then
        if as_app test -w "$CONFIG_DIR" && as_app test -x "$CONFIG_DIR"; then
            say "warning: could not give every file in $CONFIG_DIR to $ids (root-squashed share or no CAP_CHOWN); it is writable by $ids, so carrying on."
        else
            die "$CONFIG_DIR cannot be given to $ids (root-squashed share or --cap-drop CHOWN?) and $ids cannot write it. On the host run: chown -R $ids <the folder mounted at $CONFIG_DIR>, or set PUID/PGID to its owner ($(stat -c %u:%g "$CONFIG_DIR"))."
        fi
    fi
fi

say "running as uid $PUID gid $PGID, umask $UMASK, TZ $TZ: $*"
exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups --inh-caps=-all --no-new-privs -- "$@"
