use super::*;
use crate::fixture::Secrets;

fn channel(toml_text: &str) -> ChannelConfig {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
}

fn resolve(toml_text: &str, secrets: &[(&str, &str)]) -> Result<Channel, ConfigErrors> {
    let s = Secrets(secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    channel(toml_text).resolve("alerts.channels[0]", &s)
}

fn error_keys(r: Result<Channel, ConfigErrors>) -> Vec<String> {
    r.err().map(|e| e.0.into_iter().map(|e| e.key).collect()).unwrap_or_default()
}

#[test]
fn secrets_come_inline_from_the_environment_or_from_a_file() {
    let inline = resolve("name = 'ops'\nkind = 'slack'\nurl = 'https://hooks.example/T1/B2/sekrit'", &[]);
    assert!(
        matches!(&inline, Ok(Channel { target: Target::Slack { url }, .. }) if url.expose_secret().ends_with("sekrit"))
    );
    let env = resolve("name = 'ops'\nkind = 'discord'\nurl_env = 'HOOK'", &[("HOOK", "https://d.example/x\n")]);
    assert!(
        matches!(&env, Ok(Channel { target: Target::Discord { url }, .. }) if url.expose_secret() == "https://d.example/x")
    );
    let file = resolve(
        "name = 'tg'\nkind = 'telegram'\ntoken_file = '/run/secrets/tg'\nchat_id = '-100'",
        &[("/run/secrets/tg", "123:abc\n")],
    );
    match file {
        Ok(Channel { target: Target::Telegram { api_url, token, chat_id }, .. }) => {
            assert_eq!((api_url.as_str(), token.expose_secret(), chat_id.as_str()), (TELEGRAM_API, "123:abc", "-100"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_or_doubled_secrets_name_their_key() {
    assert_eq!(error_keys(resolve("name = 'a'\nkind = 'slack'", &[])), ["alerts.channels[0].url"]);
    assert_eq!(
        error_keys(resolve("name = 'a'\nkind = 'slack'\nurl_env = 'NOPE'", &[])),
        ["alerts.channels[0].url_env"]
    );
    assert_eq!(
        error_keys(resolve("name = 'a'\nkind = 'slack'\nurl_file = '/nope'", &[])),
        ["alerts.channels[0].url_file"]
    );
    assert_eq!(
        error_keys(resolve("name = 'a'\nkind = 'slack'\nurl = 'https://x'\nurl_env = 'X'", &[("X", "https://y")])),
        ["alerts.channels[0].url"]
    );
    assert_eq!(error_keys(resolve("name = 'a'\nkind = 'teams'\nurl = 'ftp://x'", &[])), ["alerts.channels[0].url"]);
    assert_eq!(
        error_keys(resolve("name = 'a'\nkind = 'gotify'\nurl = 'https://g'", &[])),
        ["alerts.channels[0].token"]
    );
}

#[test]
fn keys_of_another_kind_are_refused() {
    let keys = error_keys(resolve("name = 'a'\nkind = 'slack'\nurl = 'https://x'\nchat_id = '1'\nhost = 'smtp'", &[]));
    assert_eq!(keys, ["alerts.channels[0].chat_id", "alerts.channels[0].host"]);
    let keys = error_keys(resolve(
        "name = 'a'\nkind = 'email'\nurl = 'https://x'\nhost = 'h'\nfrom = 'a@b'\nto = ['c@d']",
        &[],
    ));
    assert_eq!(keys, ["alerts.channels[0].url"]);
}

#[test]
fn email_needs_a_server_a_sender_and_real_recipients() {
    let ok = resolve(
        "name = 'mail'\nkind = 'email'\nhost = 'smtp.example'\ntls = 'implicit'\nfrom = 'fw@example'\nto = ['ops@example']\nusername = 'fw'\npassword_env = 'SMTP_PW'",
        &[("SMTP_PW", "hunter2")],
    );
    match ok {
        Ok(Channel { target: Target::Email(e), .. }) => {
            assert_eq!((e.port, e.tls, e.to.len()), (465, SmtpTls::Implicit, 1));
            assert_eq!(e.password.as_ref().map(|p| p.expose_secret().to_owned()), Some("hunter2".into()));
        }
        other => panic!("{other:?}"),
    }
    let keys = error_keys(resolve("name = 'mail'\nkind = 'email'\nto = ['ops']\npassword = 'x'", &[]));
    assert_eq!(
        keys,
        [
            "alerts.channels[0].host",
            "alerts.channels[0].from",
            "alerts.channels[0].to[0]",
            "alerts.channels[0].username"
        ]
    );
}

#[test]
fn unknown_keys_and_kinds_are_refused_by_the_parser() {
    assert!(toml::from_str::<ChannelConfig>("name = 'a'\nkind = 'pager'").is_err());
    assert!(toml::from_str::<ChannelConfig>("name = 'a'\nkind = 'slack'\nwebhook = 'x'").is_err());
}

#[test]
fn debug_output_never_shows_a_secret() {
    let cfg = channel("name = 'a'\nkind = 'gotify'\nurl = 'https://g.example/sekrit-url'\ntoken = 'sekrit-token'");
    let resolved = cfg.resolve("alerts.channels[0]", &Secrets::default());
    let shown = format!("{cfg:?} {resolved:?}");
    assert!(!shown.contains("sekrit"), "{shown}");
    assert!(shown.contains("Gotify"), "{shown}");
}
