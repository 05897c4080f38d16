//! Checks of single settings and names. Each error names the key or variable at fault and what
//! it accepts.

use fleetwatch_common::Thresholds;

use crate::error::{ConfigError, Result};
use crate::settings::{CollectorSettings, UiSettings, parse_cron};

pub(crate) fn collector(c: &CollectorSettings) -> Result<()> {
    parse_cron(&c.schedule).map_err(|e| ConfigError::invalid("collector.schedule", e))?;
    if c.concurrency == Some(0) {
        return Err(ConfigError::invalid(
            "collector.concurrency",
            "must be at least 1 (or left out: adapts to the fleet)",
        ));
    }
    if !(0.0..=0.9).contains(&c.spread) {
        return Err(ConfigError::invalid("collector.spread", "a fraction of the interval from 0 to 0.9"));
    }
    if c.connect_timeout_secs == 0 || c.command_timeout_secs == 0 {
        return Err(ConfigError::invalid("collector.*_timeout_secs", "timeouts must be at least 1 second"));
    }
    if c.member_timeout_secs < 2 {
        return Err(ConfigError::invalid("collector.member_timeout_secs", "must be at least 2 seconds"));
    }
    if let Some(id) = &c.member_id
        && (id.is_empty() || id.len() > 200 || !id.chars().all(|ch| ch.is_ascii_graphic()))
    {
        return Err(ConfigError::invalid(
            "collector.member_id",
            "must be 1 to 200 printable ASCII characters, no spaces",
        ));
    }
    let ud = &c.user_disk;
    parse_cron(&ud.schedule).map_err(|e| ConfigError::invalid("collector.user_disk.schedule", e))?;
    if ud.timeout_secs == 0 {
        return Err(ConfigError::invalid("collector.user_disk.timeout_secs", "must be at least 1 second"));
    }
    if let Some(p) = ud.paths.iter().find(|p| !p.starts_with('/') || p.contains(['\n', '\0'])) {
        return Err(ConfigError::invalid("collector.user_disk.paths", format!("{p:?} is not an absolute path")));
    }
    if c.retries == 0 || c.retries > 10 {
        return Err(ConfigError::invalid("collector.retries", "must be between 1 and 10 attempts"));
    }
    Ok(())
}

pub(crate) fn ui(ui: &UiSettings) -> Result<()> {
    if !(5..=3600).contains(&ui.refresh_secs) {
        return Err(ConfigError::invalid("ui.refresh_secs", "must be between 5 and 3600 seconds"));
    }
    Ok(())
}

pub(crate) fn thresholds(t: &Thresholds) -> Result<()> {
    for (name, th) in [("cpu", t.cpu), ("ram", t.ram), ("disk", t.disk)] {
        let ok = (0.0..=100.0).contains(&th.warning) && (0.0..=100.0).contains(&th.critical);
        if !ok || th.warning > th.critical {
            return Err(ConfigError::invalid(
                format!("thresholds.{name}"),
                "warning and critical must be percentages with warning <= critical",
            ));
        }
    }
    Ok(())
}

pub(crate) fn name(key: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(ConfigError::invalid(key, format!("{name:?}: names are 1-128 of A-Z a-z 0-9 - _ ."))) }
}

pub(crate) fn fingerprint(key: &str, fp: &str) -> Result<()> {
    let ok = fp
        .strip_prefix("SHA256:")
        .is_some_and(|b64| b64.len() == 43 && b64.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(key, "expected a fingerprint as printed by `ssh-keygen -lf`: SHA256:<43 characters>"))
    }
}
