#!/bin/sh
# Entrypoint of the stack's Alertmanager (compose profile "alertmanager"): resolve the
# environment references of the generated config, then start Alertmanager on the result.
#
# generated/alerts/alertmanager/alertmanager.yml (built by `mlmon build` from
# alerts_src/routing.py) names every secret as https://mlmon-env.invalid/NAME;
# NAME's value comes from this container's environment (stack/.env). Same rules as
# `python -m mlmon.alerts.envrefs`, in busybox sh + awk because the image has no Python.
set -eu

SOURCE=/etc/mlmon/alertmanager
TARGET=/alertmanager/config
mkdir -p "$TARGET"
rm -rf "$TARGET/templates"
if [ -d "$SOURCE/templates" ]; then
    cp -r "$SOURCE/templates" "$TARGET/templates"
fi

umask 077 # the resolved file holds secrets
awk '
{
    line = $0
    out = ""
    while (match(line, /https:\/\/mlmon-env\.invalid\/[A-Z_][A-Z0-9_]*/)) {
        name = substr(line, RSTART + 26, RLENGTH - 26)
        value = ENVIRON[name]
        if (value == "") {
            printf "alertmanager: environment variable %s is not set (stack/.env)\n", name > "/dev/stderr"
            missing = 1
        }
        if (value ~ /['"'"'"]/) {
            printf "alertmanager: environment variable %s holds a quote\n", name > "/dev/stderr"
            missing = 1
        }
        out = out substr(line, 1, RSTART - 1) value
        line = substr(line, RSTART + RLENGTH)
    }
    print out line
}
END { exit missing }
' "$SOURCE/alertmanager.yml" >"$TARGET/alertmanager.yml.tmp"
mv "$TARGET/alertmanager.yml.tmp" "$TARGET/alertmanager.yml"

exec /bin/alertmanager \
    --config.file="$TARGET/alertmanager.yml" \
    --storage.path=/alertmanager \
    "$@"
