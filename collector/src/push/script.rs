//! `fleetwatch push-script`: the POSIX sh a push host runs from cron or a systemd timer. It runs
//! the collection program (the first cycle's, which takes its own one-second baseline, so every
//! push stands alone) with `sh -s`, exactly as the collector does over SSH, and posts the raw
//! stdout to `POST /api/ingest` with the server's ingest token, read from a file.
//!
//! It writes nothing on the host: the program goes to `sh` through a pipe (no here-document,
//! which bash may back with a temporary file), and the output goes to the client through one.
//! The token never appears in a command line under curl (its header is read from curl's
//! config on stdin); busybox wget (the fallback) can only take it as an argument (`--header`).
//! GNU wget is not used: it posts only regular files, which would mean a temporary file.

use crate::program::{ProgramOptions, program};

/// Where the script reads the token by default (`--token-file` changes it at run time).
pub const DEFAULT_TOKEN_FILE: &str = "/etc/fleetwatch/token";

/// Why no script can be written.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("--url must start with http:// or https:// and hold no quote, space or control character: {0:?}")]
    Url(String),
    #[error("--token-file must be an absolute path without quotes or control characters: {0:?}")]
    TokenFile(String),
}

/// The program a push host runs each time: the collector's first-cycle program (a baseline of
/// its own, the whole process table, the inventory), so each push is complete on its own.
pub fn push_program() -> String {
    program(&ProgramOptions::next(None))
}

/// The script for `server`, posting to `base_url` (the Fleetwatch API's address, e.g.
/// `https://mon.example.com`) with the token read from `token_file` by default.
pub fn push_script(server: &str, base_url: &str, token_file: &str) -> Result<String, ScriptError> {
    let base = base_url.trim_end_matches('/');
    let url_ok = (base.starts_with("http://") || base.starts_with("https://"))
        && !base.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\'' | '"' | '\\' | '`' | '$'));
    if !url_ok {
        return Err(ScriptError::Url(base_url.to_owned()));
    }
    if !token_file.starts_with('/') || token_file.chars().any(|c| c.is_control() || matches!(c, '\'' | '"')) {
        return Err(ScriptError::TokenFile(token_file.to_owned()));
    }
    let url = format!("{base}/api/ingest?server={}", fleetwatch_common::url::percent_encode(server));
    Ok(TEMPLATE
        .replace("@SERVER@", &server.replace(['\n', '\r'], " "))
        .replace("@URL@", &quote(&url))
        .replace("@TOKEN_FILE@", &quote(token_file))
        .replace("@PROGRAM@", &quote(&push_program())))
}

/// `text` as one single-quoted sh word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

const TEMPLATE: &str = r#"#!/bin/sh
# Fleetwatch push script for the server "@SERVER@" (transport = "push"), written by
# `fleetwatch push-script`. Each run collects once and posts the raw output to Fleetwatch.
# Read-only: nothing is written on this host; only the token file is read.
#
#   cron:    * * * * * root /usr/local/bin/fleetwatch-push
#   systemd: a oneshot service running this script and a timer with OnUnitActiveSec=60s
#
# Options: --token-file PATH (default below; one line holding the ingest token, mode 0600),
#          --url URL (where to post),
#          --client curl|wget (default: curl, else busybox wget; GNU wget cannot post a pipe).
fw_url=@URL@
fw_token_file=@TOKEN_FILE@
fw_client=
while [ $# -gt 0 ]; do
    case $1 in
        --token-file) fw_token_file=${2:?--token-file needs a path}; shift 2 ;;
        --token-file=*) fw_token_file=${1#*=}; shift ;;
        --url) fw_url=${2:?--url needs a URL}; shift 2 ;;
        --url=*) fw_url=${1#*=}; shift ;;
        --client) fw_client=${2:?--client needs curl or wget}; shift 2 ;;
        --client=*) fw_client=${1#*=}; shift ;;
        *) echo "usage: $0 [--token-file PATH] [--url URL] [--client curl|wget]" >&2; exit 2 ;;
    esac
done
if [ -z "$fw_client" ]; then
    if command -v curl >/dev/null 2>&1; then fw_client=curl; else fw_client=wget; fi
fi
# busybox wget posts a pipe as it is; GNU wget would need a temporary file.
fw_wget=
if [ "$fw_client" = wget ]; then
    if command -v busybox >/dev/null 2>&1; then fw_wget='busybox wget'
    elif wget --help 2>&1 | grep -q BusyBox; then fw_wget=wget
    else echo "fleetwatch-push: needs curl or busybox wget" >&2; exit 1
    fi
fi
fw_token=
IFS= read -r fw_token < "$fw_token_file" || [ -n "$fw_token" ] || {
    echo "fleetwatch-push: cannot read a token from $fw_token_file" >&2; exit 1
}
case $fw_token in
    fwt_*[!0-9a-f]*|fwt_) echo "fleetwatch-push: $fw_token_file does not hold a Fleetwatch token" >&2; exit 1 ;;
    fwt_*) ;;
    *) echo "fleetwatch-push: $fw_token_file does not hold a Fleetwatch token" >&2; exit 1 ;;
esac
# A replay is refused by the server: the boot id and the uptime in hundredths of a second
# rise with every run.
fw_boot=
[ -r /proc/sys/kernel/random/boot_id ] && IFS= read -r fw_boot < /proc/sys/kernel/random/boot_id
fw_seq=
[ -r /proc/uptime ] && read -r fw_seq _ < /proc/uptime
fw_seq=${fw_seq%.*}${fw_seq#*.}
if [ -z "$fw_boot" ] || [ -z "$fw_seq" ]; then fw_boot=clock; fw_seq=$(date +%s); fi
fw_program=@PROGRAM@
fw_collect() {
    printf '%s' "$fw_program" | sh -s 2>/dev/null
}
case $fw_client in
    curl)
        # The header with the token goes in curl's config, read from stdin: never in argv.
        # The answer's body, then its status code on a line of its own.
        fw_answer=$(fw_collect | {
            printf 'header = "Authorization: Bearer %s"\n' "$fw_token" | curl -sS -K - \
                --connect-timeout 10 --max-time 60 \
                -H 'Content-Type: application/octet-stream' \
                -H "X-Fleetwatch-Boot: $fw_boot" -H "X-Fleetwatch-Seq: $fw_seq" \
                --data-binary @/dev/fd/3 -o - -w '\n%{http_code}' "$fw_url"
        } 3<&0)
        fw_code=${fw_answer##*
}
        case $fw_code in
            2??) exit 0 ;;
            *) printf 'fleetwatch-push: the push was refused (HTTP %s): %s\n' "$fw_code" "${fw_answer%
*}" >&2; exit 1 ;;
        esac
        ;;
    wget)
        # wget takes headers only as arguments: the token is visible to ps while it runs.
        fw_collect | $fw_wget -q -O /dev/null \
            --header "Authorization: Bearer $fw_token" \
            --header 'Content-Type: application/octet-stream' \
            --header "X-Fleetwatch-Boot: $fw_boot" --header "X-Fleetwatch-Seq: $fw_seq" \
            --post-file /dev/stdin "$fw_url" || {
            echo "fleetwatch-push: the push was refused or failed" >&2; exit 1
        }
        ;;
    *) echo "fleetwatch-push: --client must be curl or wget" >&2; exit 2 ;;
esac
"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_script_embeds_the_program_quoted_and_checks_its_inputs() {
        let s = push_script("edge-1", "https://mon.example.com/", DEFAULT_TOKEN_FILE).unwrap();
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("fw_url='https://mon.example.com/api/ingest?server=edge-1'"), "{s}");
        assert!(s.contains("fw_token_file='/etc/fleetwatch/token'"));
        assert!(s.contains(&quote(&push_program())));
        assert!(push_script("a", "ftp://x", DEFAULT_TOKEN_FILE).is_err());
        assert!(push_script("a", "http://x/'$(reboot)'", DEFAULT_TOKEN_FILE).is_err());
        assert!(push_script("a", "http://x", "relative/token").is_err());
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
