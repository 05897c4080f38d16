#!/bin/sh
# Renders Fleetwatch's nginx configuration from the templates beside this script, and optionally
# runs nginx on it in the foreground. This is the ONE way the configuration is made: the `nginx`
# container (docker-compose.yml, Dockerfile target `web`) and the tests (tests/stack.rs) both call it.
#
#   render.sh OUT_DIR          render OUT_DIR/nginx.conf (+ the files it includes)
#   render.sh --run OUT_DIR    render, then exec nginx in the foreground on OUT_DIR
#   render.sh --vars           print the variables and their defaults (NAME=default), one a line
#
# Variables, from the environment (the defaults are the container's):
#   FLEETWATCH_API_UPSTREAM  host:port of `fleetwatch api` (required; compose: api:8080)
#   NGINX_LISTEN             HTTP listen address or port
#   NGINX_TLS                on | off: add the HTTPS server (needs the two files in NGINX_CERT_DIR)
#   NGINX_TLS_LISTEN         HTTPS listen address or port
#   NGINX_CERT_DIR           holds fullchain.pem and privkey.pem (nginx/make-cert.sh makes a pair)
#   NGINX_SERVER_NAME        server_name (_ = any)
#   NGINX_WEB_ROOT           the built dashboard (frontend/build.sh)
#   NGINX_RESOLVER           DNS server for the upstream's name (127.0.0.11 is Docker's), re-asked
#                            every 10 s so a recreated api container is found at its new address
#   NGINX_MAX_BODY           largest request body (413 above)
#   NGINX_ACCESS_LOG         access log, JSON lines with a "level" (/dev/stdout in the container)
#   NGINX_ERROR_LOG          error log
# Computed here: NGINX_RUN_DIR (= OUT_DIR: pid and temp files) and NGINX_CSP_SCRIPT_HASHES (the
# sha256 of each inline <script> of NGINX_WEB_ROOT/index.html, so the CSP allows exactly those).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
templates="$here/templates"

# name=default, one a line; an empty default means "required".
defaults='FLEETWATCH_API_UPSTREAM=
NGINX_LISTEN=8080
NGINX_TLS=off
NGINX_TLS_LISTEN=8443
NGINX_CERT_DIR=/etc/fleetwatch/tls
NGINX_SERVER_NAME=_
NGINX_WEB_ROOT=/usr/share/fleetwatch/web
NGINX_RESOLVER=127.0.0.11
NGINX_MAX_BODY=1m
NGINX_ACCESS_LOG=/dev/stdout
NGINX_ERROR_LOG=stderr'
computed='NGINX_RUN_DIR NGINX_CSP_SCRIPT_HASHES'

die() {
    echo "render.sh: $*" >&2
    exit 1
}

run=false
case "${1:-}" in
    --vars)
        printf '%s\n' "$defaults"
        for v in $computed; do echo "$v"; done
        exit 0
        ;;
    --run)
        run=true
        shift
        ;;
esac
[ $# -eq 1 ] || die "usage: render.sh [--run] OUT_DIR | render.sh --vars"
out=$1

# Apply the defaults, and refuse values that could break out of an nginx directive.
names=''
for line in $defaults; do
    name=${line%%=*}
    default=${line#*=}
    eval "value=\${$name:-\$default}"
    [ -n "$value" ] || die "$name is required (see the top of $0)"
    case "$value" in
        *[\;\{\}\"\'\\]* | *"
"*) die "$name=$value: ; { } quotes and backslashes are not allowed" ;;
    esac
    eval "$name=\$value"
    export "${name?}"
    names="$names \${$name}"
done
case "$NGINX_TLS" in
    on | off) ;;
    *) die "NGINX_TLS=$NGINX_TLS: expected on or off" ;;
esac

mkdir -p "$out/servers"
NGINX_RUN_DIR=$(cd "$out" && pwd)
export NGINX_RUN_DIR

# CSP hashes of the inline scripts (those without src=) of index.html, exactly as written.
NGINX_CSP_SCRIPT_HASHES=''
index="$NGINX_WEB_ROOT/index.html"
if [ -f "$index" ]; then
    rm -rf "$NGINX_RUN_DIR/.inline-scripts"
    mkdir -p "$NGINX_RUN_DIR/.inline-scripts"
    awk -v RS='\001' -v dir="$NGINX_RUN_DIR/.inline-scripts" '{
        s = $0; n = 0
        while ((i = index(s, "<script")) > 0) {
            s = substr(s, i); j = index(s, ">"); if (j == 0) break
            tag = substr(s, 1, j); s = substr(s, j + 1)
            k = index(s, "</script>"); if (k == 0) break
            body = substr(s, 1, k - 1); s = substr(s, k + 9)
            if (tag !~ /[ \t\r\n]src[ \t\r\n]*=/ && body != "") { n++; f = dir "/" n; printf "%s", body > f; close(f) }
        }
    }' "$index"
    for f in "$NGINX_RUN_DIR"/.inline-scripts/*; do
        [ -f "$f" ] || continue
        hash=$(openssl dgst -sha256 -binary "$f" | openssl base64 -A)
        NGINX_CSP_SCRIPT_HASHES="$NGINX_CSP_SCRIPT_HASHES 'sha256-$hash'"
    done
    rm -rf "$NGINX_RUN_DIR/.inline-scripts"
else
    echo "render.sh: warning: no $index: the CSP allows no inline script" >&2
fi
export NGINX_CSP_SCRIPT_HASHES
names="$names \${NGINX_RUN_DIR} \${NGINX_CSP_SCRIPT_HASHES}"

# Only our variables are substituted: nginx's own $variables pass through untouched.
for t in "$templates"/*.template; do
    envsubst "$names" <"$t" >"$NGINX_RUN_DIR/$(basename "$t" .template)"
done
rm -f "$NGINX_RUN_DIR"/servers/*.conf
if [ "$NGINX_TLS" = on ]; then
    for f in fullchain.pem privkey.pem; do
        [ -r "$NGINX_CERT_DIR/$f" ] || die "NGINX_TLS=on but $NGINX_CERT_DIR/$f is missing or unreadable (nginx/make-cert.sh makes a self-signed pair)"
    done
    for t in "$templates"/servers/*.template; do
        envsubst "$names" <"$t" >"$NGINX_RUN_DIR/servers/$(basename "$t" .template)"
    done
fi

if $run; then
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    exec "$nginx" -p "$NGINX_RUN_DIR/" -c "$NGINX_RUN_DIR/nginx.conf" -e "$NGINX_ERROR_LOG"
fi
