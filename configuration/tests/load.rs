//! Loading the configuration: layering, the seed's environment scheme, validation, redaction.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use fleetwatch_config::{
    CollectorSettings, Config, ConfigSource, Credentials, DEFAULT_DATABASE_URL, DEFAULT_LISTEN, EXAMPLE, Transport,
};
use secrecy::ExposeSecret;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn no_file_means_the_local_machine_and_sqlite() {
    let c = Config::load(None, &env(&[])).unwrap();
    assert_eq!(c.servers.len(), 1);
    assert_eq!(c.servers[0].name, "local");
    assert!(c.servers[0].ssh.is_none());
    assert_eq!(c.servers[0].transport(), Transport::Local);
    assert_eq!(c.database_url.expose_secret(), DEFAULT_DATABASE_URL);
    assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(c.source, ConfigSource::Defaults);
    assert_eq!(c.source.to_string(), "built-in defaults");
}

#[test]
fn the_source_says_where_the_configuration_came_from() {
    let c = Config::load(None, &env(&[("DATABASE_URL", "sqlite://x.db")])).unwrap();
    assert_eq!(c.source, ConfigSource::Environment);
    assert_eq!(c.servers.len(), 1, "no server configured: still this machine");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fw.toml");
    std::fs::write(&path, "[ui]\nrefresh_secs = 60\n").unwrap();
    let c = Config::load(Some(&path), &env(&[])).unwrap();
    assert_eq!(c.source, ConfigSource::File(path.clone()));
    assert_eq!(c.source.to_string(), path.display().to_string());
    assert!(c.servers.is_empty(), "a file with no server monitors nothing");

    let e = Config::load(Some(&PathBuf::from("/nonexistent/fw.toml")), &env(&[])).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/fw.toml"), "{e}");
}

#[test]
fn the_example_config_is_valid() {
    let c = Config::from_toml(EXAMPLE, &env(&[("WEB1_SSH_PASSWORD", "x")])).unwrap();
    assert!(c.servers.len() >= 2);
    assert_eq!(c.collector.schedule, "0 */15 * * * *");
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let e = Config::from_toml("colector = {}", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("colector"), "{e}");
}

#[test]
fn an_unknown_transport_lists_the_accepted_ones() {
    let e = Config::from_toml("[[servers]]\nname='a'\ntransport='telnet'\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("telnet") && e.contains("`ssh`") && e.contains("`local`"), "{e}");
}

#[test]
fn a_missing_password_variable_is_named() {
    let toml = "[[servers]]\nname='a'\nhost='h'\nuser='u'\npassword_env='NOPE_PW'\n";
    let e = Config::from_toml(toml, &env(&[])).unwrap_err().to_string();
    assert!(e.contains("NOPE_PW") && e.contains("servers[0]"), "{e}");
}

#[test]
fn five_field_cron_is_refused() {
    let e = Config::from_toml("[collector]\nschedule='*/5 * * * *'", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("collector.schedule"), "{e}");
}

#[test]
fn durations_take_numbers_of_the_keys_unit_or_humantime() {
    let toml = "[collector]\nconnect_timeout_secs = 7\ncommand_timeout_secs = '2m'\nretry_backoff_ms = '1s 500ms'\n\
                stale_after_secs = '1h'\nmember_timeout_secs = 45\n[collector.user_disk]\ntimeout_secs = '15m'\n\
                [ui]\nrefresh_secs = '1m'\n";
    let c = Config::from_toml(toml, &env(&[])).unwrap();
    assert_eq!(c.collector.connect_timeout(), Duration::from_secs(7));
    assert_eq!(c.collector.command_timeout(), Duration::from_secs(120));
    assert_eq!(c.collector.retry_backoff(), Duration::from_millis(1500));
    assert_eq!(c.collector.stale_after(), Duration::from_secs(3600));
    assert_eq!(c.collector.member_timeout(), Duration::from_secs(45));
    assert_eq!(c.collector.user_disk.timeout(), Duration::from_secs(900));
    assert_eq!(c.ui.refresh_secs, 60);
}

#[test]
fn a_bad_duration_names_its_key_and_the_accepted_forms() {
    let e = Config::from_toml("[collector]\ncommand_timeout_secs = 'soon'\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("command_timeout_secs") && e.contains("15m"), "{e}");
    let e = Config::from_toml("[collector]\nconnect_timeout_secs = '1500ms'\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("connect_timeout_secs") && e.contains("whole number of seconds"), "{e}");
    let e = Config::from_toml("[collector]\nconnect_timeout_secs = -3\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("connect_timeout_secs"), "{e}");
}

#[test]
fn seed_environment_scheme_defines_servers() {
    let e = env(&[
        ("SERVER1_NAME", "db-1"),
        ("SERVER1_HOST", "db1.example"),
        ("SERVER1_IP", "192.0.2.5"),
        ("SERVER1_USERNAME", "monitor"),
        ("SERVER1_PASSWORD", "hunter2"),
        ("SERVER12_HOST", "web12"),
        ("SERVER12_USERNAME", "root"),
        ("SERVER12_KEY", "/keys/id"),
        ("SERVER12_PORT", "2222"),
    ]);
    let c = Config::load(None, &e).unwrap();
    assert_eq!(c.servers.len(), 2, "env servers replace the default local one");
    assert_eq!(c.source, ConfigSource::Environment);
    let s1 = c.servers[0].ssh.as_ref().unwrap();
    assert_eq!((c.servers[0].name.as_str(), s1.host.as_str(), s1.port), ("db-1", "192.0.2.5", 22));
    let s12 = c.servers[1].ssh.as_ref().unwrap();
    assert_eq!((c.servers[1].name.as_str(), s12.port), ("web12", 2222));
    assert!(matches!(s12.credentials, Credentials::Key { .. }));
}

#[test]
fn postgres_variables_build_an_encoded_url() {
    let e = env(&[("POSTGRES_HOST", "db"), ("POSTGRES_PASSWORD", "p@ss/word"), ("POSTGRES_DB", "fw")]);
    let c = Config::load(None, &e).unwrap();
    assert_eq!(c.database_url.expose_secret(), "postgres://postgres:p%40ss%2Fword@db:5432/fw");
    let e = env(&[("DATABASE_URL", "sqlite://x.db"), ("POSTGRES_HOST", "db")]);
    assert_eq!(Config::load(None, &e).unwrap().database_url.expose_secret(), "sqlite://x.db");
}

#[test]
fn debug_never_shows_secrets() {
    let e = env(&[
        ("SERVER1_HOST", "h"),
        ("SERVER1_USERNAME", "u"),
        ("SERVER1_PASSWORD", "sup3r-secret-pw"),
        ("DATABASE_URL", "postgres://u:db-secret-pw@h/d"),
    ]);
    let c = Config::load(None, &e).unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("sup3r-secret-pw") && !dbg.contains("db-secret-pw"), "{dbg}");
}

#[test]
fn duplicate_names_and_bad_fingerprints_are_refused() {
    let toml = "[[servers]]\nname='a'\ntransport='local'\n[[servers]]\nname='a'\ntransport='local'\n";
    assert!(Config::from_toml(toml, &env(&[])).unwrap_err().to_string().contains("unique"));
    let toml = "[[servers]]\nname='a'\nhost='h'\nuser='u'\nidentity_file='/k'\nhost_key='MD5:aa'\n";
    assert!(Config::from_toml(toml, &env(&[])).unwrap_err().to_string().contains("host_key"));
}

#[test]
fn stale_after_follows_the_schedule() {
    let s = CollectorSettings { schedule: "*/10 * * * * *".into(), retries: 1, ..Default::default() };
    assert_eq!(s.schedule_interval(), Some(Duration::from_secs(10)));
    assert_eq!(s.stale_after(), Duration::from_secs(20 + 40));
}

#[test]
fn fleet_scale_settings_adapt_and_are_validated() {
    // Concurrency: adapts to the fleet by default, a given number is kept.
    let c = Config::from_toml("[collector]\n", &env(&[])).unwrap().collector;
    assert_eq!(c.concurrency, None);
    assert_eq!((c.concurrency_for(10), c.concurrency_for(1000), c.concurrency_for(5000)), (10, 250, 512));
    assert_eq!(c.concurrency_for(100), 64);
    let c = Config::from_toml("[collector]\nconcurrency = 20\n", &env(&[])).unwrap().collector;
    assert_eq!((c.concurrency_for(1000), c.concurrency_for(5)), (20, 5));
    let e = Config::from_toml("[collector]\nconcurrency = 0\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("collector.concurrency"), "{e}");
    // Spread: a fraction of the interval.
    let c = Config::from_toml("[collector]\nschedule = \"0 * * * * *\"\nspread = 0.5\n", &env(&[])).unwrap().collector;
    assert_eq!(c.spread_window(c.schedule_interval()), Duration::from_secs(30));
    assert_eq!(CollectorSettings::default().spread_window(Some(Duration::from_secs(60))), Duration::ZERO);
    for bad in ["1.5", "-0.1"] {
        let e = Config::from_toml(&format!("[collector]\nspread = {bad}\n"), &env(&[])).unwrap_err().to_string();
        assert!(e.contains("collector.spread"), "{bad}: {e}");
    }
    // A server's own schedule: validated, named in the error.
    let server =
        |schedule: &str| format!("[[servers]]\nname = \"db-1\"\ntransport = \"local\"\nschedule = \"{schedule}\"\n");
    let c = Config::from_toml(&server("*/5 * * * * *"), &env(&[])).unwrap();
    assert_eq!(c.servers[0].schedule.as_deref(), Some("*/5 * * * * *"));
    let e = Config::from_toml(&server("*/5 * * * *"), &env(&[])).unwrap_err().to_string();
    assert!(e.contains("servers[0] (db-1).schedule") && e.contains("6 fields"), "{e}");
}

#[test]
fn a_push_server_has_no_ssh_and_no_schedule() {
    let c = Config::from_toml("[[servers]]\nname='edge-1'\ntransport='push'\ntags=['edge']\n", &env(&[])).unwrap();
    assert_eq!(c.servers[0].transport(), Transport::Push);
    assert!(c.servers[0].ssh.is_none() && c.servers[0].push);
    let e = Config::from_toml("[[servers]]\nname='a'\ntransport='push'\nhost='h'\n", &env(&[])).unwrap_err();
    assert!(e.to_string().contains("servers[0] (a).transport"), "{e}");
    let e =
        Config::from_toml("[[servers]]\nname='a'\ntransport='push'\nschedule='0 * * * * *'\n", &env(&[])).unwrap_err();
    assert!(e.to_string().contains("schedule"), "{e}");
    let e = Config::from_toml("[[servers]]\nname='a'\ntransport='telnet'\n", &env(&[])).unwrap_err().to_string();
    assert!(e.contains("`push`"), "{e}");
}
