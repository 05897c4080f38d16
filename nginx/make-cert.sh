#!/bin/sh
# Makes a self-signed certificate for nginx's HTTPS server (NGINX_TLS=on):
#   nginx/make-cert.sh [DIR] [NAME...]     (default: nginx/certs localhost 127.0.0.1)
# Writes DIR/fullchain.pem and DIR/privkey.pem (EC P-256, valid 825 days); each NAME becomes a
# subjectAltName (an IP address or a DNS name). Browsers warn about a self-signed certificate:
# for real use, put a CA-issued pair under the same two names instead.
set -eu

dir=${1:-$(dirname "$0")/certs}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- localhost 127.0.0.1
cn=$1
san=''
for name in "$@"; do
    case "$name" in
        *[!0-9.]* | '') entry="DNS:$name" ;;
        *) entry="IP:$name" ;;
    esac
    san="${san:+$san,}$entry"
done

mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 825 \
    -subj "/CN=$cn" -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/privkey.pem.new" -out "$dir/fullchain.pem.new" 2>/dev/null
mv "$dir/privkey.pem.new" "$dir/privkey.pem"
mv "$dir/fullchain.pem.new" "$dir/fullchain.pem"
chmod 644 "$dir/fullchain.pem"
echo "make-cert.sh: wrote $dir/fullchain.pem and $dir/privkey.pem for $san"
echo "make-cert.sh: nginx runs as FLEETWATCH_UID (.env): that user must be able to read privkey.pem"
