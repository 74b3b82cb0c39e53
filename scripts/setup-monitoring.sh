#!/usr/bin/env bash
# Start the mlmon monitoring stack (stack/docker-compose.yml) and wait until it is healthy.
# Safe to re-run: an existing stack/.env is kept and running containers are updated in place.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/setup-monitoring.sh [options]

Starts the model API, the exporter, Prometheus and Grafana with Docker Compose:
  1. checks Docker and Compose (`docker compose` or `docker-compose`);
  2. creates stack/.env from stack/.env.example with a random Grafana admin
     password (and PostgreSQL password, for the postgres profile) on the first
     run (an existing stack/.env is never overwritten, but it is made private,
     and a Grafana password under 12 characters is refused);
  3. builds dashboards and alerts into generated/ (make dashboards);
  4. runs `up -d --build` and waits until every service is healthy;
  5. prints the URLs and how to log in.

Options:
  --env-only        only create stack/.env (step 2), then exit
  --down            stop and remove the stack's containers (volumes and data are kept)
  --skip-build      use the committed generated/ as is (skip step 3)
  --timeout SECS    how long to wait for health (default: 300)
  -h, --help        show this help
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="$ROOT/stack"
COMPOSE_FILE="$STACK_DIR/docker-compose.yml"
ENV_FILE="$STACK_DIR/.env"
ENV_EXAMPLE="$STACK_DIR/.env.example"
ALERTS_PROVISIONING="$ROOT/generated/alerts/grafana/provisioning.yml"
MIN_PASSWORD_LENGTH=12

env_only=false
down=false
skip_build=false
timeout=300

die() {
    echo "setup-monitoring: error: $*" >&2
    exit 1
}

info() {
    echo "==> $*"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --env-only) env_only=true ;;
        --down) down=true ;;
        --skip-build) skip_build=true ;;
        --timeout)
            [ $# -ge 2 ] || die "--timeout needs a number of seconds"
            timeout="$2"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown option: $1"
            ;;
    esac
    shift
done
case "$timeout" in
    '' | *[!0-9]*) die "--timeout must be a whole number of seconds, got '$timeout'" ;;
esac

random_password() {
    # 24 random bytes as hex; head reads a fixed count, so no SIGPIPE under pipefail.
    if command -v openssl >/dev/null 2>&1; then
        openssl rand -hex 24
    else
        head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
    fi
}

# Value of KEY in stack/.env (last assignment wins, as in compose).
env_value() {
    sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1
}

create_env_file() {
    if [ -f "$ENV_FILE" ]; then
        info "Keeping the existing $ENV_FILE"
    else
        [ -f "$ENV_EXAMPLE" ] || die "$ENV_EXAMPLE is missing; restore it from git"
        local password postgres_password tmp
        password="$(random_password)"
        postgres_password="$(random_password)"
        if [ -z "$password" ] || [ -z "$postgres_password" ]; then
            die "could not generate a random password (need openssl or /dev/urandom)"
        fi
        tmp="$(mktemp "$STACK_DIR/.env.XXXXXX")"
        # Written to a private temporary file, then renamed: never a half-written .env.
        chmod 600 "$tmp"
        sed -e "s/^GF_SECURITY_ADMIN_PASSWORD=.*/GF_SECURITY_ADMIN_PASSWORD=$password/" \
            -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$postgres_password/" "$ENV_EXAMPLE" >"$tmp"
        mv "$tmp" "$ENV_FILE"
        info "Created $ENV_FILE with a random Grafana admin password (GF_SECURITY_ADMIN_PASSWORD) and PostgreSQL password (POSTGRES_PASSWORD, for the postgres profile)"
    fi
    # It holds the Grafana admin password: owner only, also when it was created by hand.
    chmod 600 "$ENV_FILE"
    local password
    password="$(env_value GF_SECURITY_ADMIN_PASSWORD)"
    [ -n "$password" ] ||
        die "GF_SECURITY_ADMIN_PASSWORD is empty in $ENV_FILE: set a password there (or delete the file to generate one)"
    [ "${#password}" -ge "$MIN_PASSWORD_LENGTH" ] ||
        die "GF_SECURITY_ADMIN_PASSWORD in $ENV_FILE is too short: use at least $MIN_PASSWORD_LENGTH characters (or delete the file to generate a random one)"
}

COMPOSE=()
find_compose() {
    command -v docker >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 ||
        die "Docker is not installed: https://docs.docker.com/get-docker/ (no Docker? run 'make demo' instead)"
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    else
        die "Docker Compose is not installed: install the compose plugin (docker compose) or docker-compose"
    fi
    docker info >/dev/null 2>&1 ||
        die "the Docker daemon is not reachable: start Docker (and check that your user may use it), then re-run"
    info "Using ${COMPOSE[*]}"
}

compose() {
    "${COMPOSE[@]}" --env-file "$ENV_FILE" -f "$COMPOSE_FILE" "$@"
}

stop_stack() {
    find_compose
    [ -f "$ENV_FILE" ] || ENV_FILE="$ENV_EXAMPLE"
    info "Stopping the stack (volumes are kept; add -v to '${COMPOSE[*]} down' to delete them)"
    # Compose interpolates the whole file even for `down`; the password is not used there.
    GF_SECURITY_ADMIN_PASSWORD="${GF_SECURITY_ADMIN_PASSWORD:-not-used-by-down}" compose --profile alertmanager down
}

build_generated() {
    if [ "$skip_build" = true ]; then
        info "Skipping the build: using the committed generated/"
    elif command -v make >/dev/null 2>&1; then
        info "Building dashboards and alerts into generated/ (make dashboards)"
        make -C "$ROOT" dashboards || die "building generated/ failed (see above); fix it or re-run with --skip-build"
    elif [ -x "$ROOT/.venv/bin/mlmon" ]; then
        info "Building dashboards and alerts into generated/ (.venv/bin/mlmon build)"
        (cd "$ROOT" && .venv/bin/mlmon build) || die "building generated/ failed (see above); fix it or re-run with --skip-build"
    else
        info "make not found: using the committed generated/"
    fi
    [ -f "$ALERTS_PROVISIONING" ] ||
        die "$ALERTS_PROVISIONING is missing: run 'make dashboards' (Grafana would mount a directory in its place)"
}

# Prints "service status" for every container of the project, status = health or state.
service_states() {
    local id
    for id in $(compose ps -q); do
        docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id"
    done
}

wait_healthy() {
    info "Waiting up to ${timeout}s for the services to become healthy"
    local deadline=$((SECONDS + timeout)) states pending
    while true; do
        states="$(service_states)"
        pending="$(echo "$states" | awk '$2 != "healthy" && $2 != "running" {print $1 " (" $2 ")"}')"
        if [ -n "$states" ] && [ -z "$pending" ]; then
            info "All services are healthy"
            return 0
        fi
        if echo "$states" | awk '$2 == "unhealthy" || $2 == "exited" || $2 == "dead" {found=1} END {exit !found}'; then
            compose ps >&2 || true
            die "a service failed: $(echo "$pending" | tr '\n' ' ')- see '${COMPOSE[*]} -f stack/docker-compose.yml logs <service>'"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            compose ps >&2 || true
            die "timed out after ${timeout}s; still starting: $(echo "$pending" | tr '\n' ' ')"
        fi
        echo "    still starting: $(echo "$pending" | tr '\n' ' ')"
        sleep 5
    done
}

print_access() {
    local bind port_grafana port_prometheus port_api port_exporter user
    bind="$(env_value MLMON_BIND_ADDRESS)"
    [ -n "$bind" ] && [ "$bind" != "0.0.0.0" ] || bind=localhost
    port_grafana="$(env_value GRAFANA_HOST_PORT)"
    port_prometheus="$(env_value PROMETHEUS_HOST_PORT)"
    port_api="$(env_value API_HOST_PORT)"
    port_exporter="$(env_value EXPORTER_HOST_PORT)"
    user="$(env_value GF_SECURITY_ADMIN_USER)"
    cat <<EOF

The monitoring stack is up.

  Grafana         http://$bind:${port_grafana:-3000}   (dashboards in the "ML Monitoring" folder)
  Prometheus      http://$bind:${port_prometheus:-9090}
  Model API       http://$bind:${port_api:-8000}/docs
  Model metrics   http://$bind:${port_exporter:-8001}/metrics

Log in to Grafana as '${user:-admin}'; the password is GF_SECURITY_ADMIN_PASSWORD in
  $ENV_FILE
Stop the stack with 'make stack-down' (data is kept in Docker volumes).
EOF
}

main() {
    cd "$ROOT"
    if [ "$down" = true ]; then
        stop_stack
        return 0
    fi
    create_env_file
    [ "$env_only" = false ] || exit 0
    find_compose
    build_generated
    info "Starting the stack (${COMPOSE[*]} up -d --build)"
    compose up -d --build
    wait_healthy
    print_access
}

main
