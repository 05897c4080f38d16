//! The API's alert answers as this page reads them: the shared types of `fleetwatch-alerts`
//! (`Alert`, `Transition`, `SilenceSpec`), each with the few fields the API adds around it
//! (`api/src/handlers/{alerts,silences}.rs`).

use chrono::{DateTime, Utc};
use fleetwatch_alerts::glob::GlobError;
use fleetwatch_alerts::{Alert, AlertState, Glob, SilenceSpec, Transition};
use serde::Deserialize;

/// `GET /api/alerts`: one pending or firing alert and its server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertItem {
    pub server: String,
    #[serde(flatten)]
    pub alert: Alert,
}

impl AlertItem {
    pub fn is_firing(&self) -> bool {
        self.alert.state == AlertState::Firing
    }

    /// Which alert it is: what an acknowledgement names.
    pub fn key(&self) -> (String, String, String) {
        (self.server.clone(), self.alert.rule.clone(), self.alert.instance.clone())
    }

    /// Its firing was held back by a silence (a configured window or one made here) and not
    /// told yet: the engine marks a firing alert notified as soon as it is told.
    pub fn held_back(&self) -> bool {
        self.is_firing() && !self.alert.notified
    }
}

/// `GET /api/alerts/history`: one transition with its id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HistoryItem {
    pub id: i64,
    #[serde(flatten)]
    pub transition: Transition,
}

/// `GET /api/silences`: a stored silence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceItem {
    pub id: i64,
    pub created_by: String,
    pub created: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: SilenceSpec,
}

/// Where a silence stands at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SilencePhase {
    /// Holding notifications back now.
    Active,
    /// Starts later.
    Upcoming,
    /// A recurring window (`cron`): open at times, between its bounds.
    Recurring,
    /// Over: kept until deleted.
    Expired,
}

impl SilencePhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Upcoming => "upcoming",
            Self::Recurring => "recurring",
            Self::Expired => "expired",
        }
    }
}

/// What a silence covers, as the engine reads it (`fleetwatch_alerts::Silence::matches`): every
/// kind given must match, within a kind any entry. Its cron schedule is not read here (the cron
/// parser would double the page's alert code): whether a recurring window holds an alert back
/// now is what the alert's own `notified` tells ([`AlertItem::held_back`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Cover {
    pub id: i64,
    servers: Vec<Glob>,
    tags: Vec<String>,
    rules: Vec<Glob>,
}

impl Cover {
    pub fn matches(&self, rule: &str, server: &str, tags: &[String]) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|g| g.matches(server)))
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
            && (self.rules.is_empty() || self.rules.iter().any(|g| g.matches(rule)))
    }
}

impl SilenceItem {
    pub fn phase(&self, now: DateTime<Utc>) -> SilencePhase {
        let spec = &self.spec;
        if spec.end.is_some_and(|e| now >= e) {
            SilencePhase::Expired
        } else if spec.cron.is_some() {
            SilencePhase::Recurring
        } else if spec.start.is_some_and(|s| now < s) {
            SilencePhase::Upcoming
        } else {
            SilencePhase::Active
        }
    }

    /// What it covers while [`SilencePhase::Active`] at `now`; `None` otherwise (or if a pattern
    /// does not compile, which the API refuses to store).
    pub fn cover_at(&self, now: DateTime<Utc>) -> Option<Cover> {
        if self.phase(now) != SilencePhase::Active {
            return None;
        }
        let globs = |list: &[String], make: fn(&str) -> Result<Glob, GlobError>| -> Option<Vec<Glob>> {
            list.iter().map(|p| make(p).ok()).collect()
        };
        Some(Cover {
            id: self.id,
            servers: globs(&self.spec.servers, Glob::server)?,
            tags: self.spec.tags.clone(),
            rules: globs(&self.spec.rules, Glob::new)?,
        })
    }
}

/// `GET /api/alerts/channels`: a channel's last delivery result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelItem {
    pub name: String,
    pub ok: bool,
    pub at: DateTime<Utc>,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_answers_read_into_the_shared_types() {
        let alert = r#"{"server":"web-1","rule":"disk","instance":"/var","state":"firing","severity":"critical",
            "since":"2026-12-03T03:00:00Z","firing_since":"2026-12-03T03:05:00Z","fired_value":96.5,"value":97.0,
            "detail":null,"acknowledged":{"by":"dashboard","at":"2026-12-03T03:10:00Z"},"notified":false,
            "last_notified":null}"#;
        let a: AlertItem = serde_json::from_str(alert).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.key(), ("web-1".into(), "disk".into(), "/var".into()));
        assert!(a.is_firing() && a.held_back());
        assert_eq!(a.alert.acknowledged.map(|k| k.by).as_deref(), Some("dashboard"));

        let silence = r#"{"id":3,"created_by":"api","created":"2026-12-03T03:00:00Z","servers":["web-*"],
            "start":null,"end":"2026-12-03T04:00:00Z","comment":"deploy","cron":null,"duration_secs":null}"#;
        let s: SilenceItem = serde_json::from_str(silence).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.id, s.spec.servers.as_slice(), s.spec.comment.as_str()),
            (3, &["web-*".to_owned()][..], "deploy")
        );
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.phase(at("2026-12-03T03:30:00Z")), SilencePhase::Active);
        assert_eq!(s.phase(at("2026-12-03T04:00:00Z")), SilencePhase::Expired);

        let channel = r#"{"name":"ops","ok":false,"at":"2026-12-03T03:00:00Z","error":"connection refused"}"#;
        let c: ChannelItem = serde_json::from_str(channel).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.ok && c.error.as_deref() == Some("connection refused"));
    }

    #[test]
    fn a_silence_that_starts_later_is_upcoming() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap_or_else(|e| panic!("{e}"));
        let s = SilenceItem {
            id: 1,
            created_by: "api".into(),
            created: at("2026-12-03T00:00:00Z"),
            spec: SilenceSpec {
                rules: vec!["cpu-*".into()],
                start: Some(at("2026-12-03T05:00:00Z")),
                end: Some(at("2026-12-03T06:00:00Z")),
                ..SilenceSpec::default()
            },
        };
        assert_eq!(s.phase(at("2026-12-03T04:00:00Z")), SilencePhase::Upcoming);
        assert!(s.cover_at(at("2026-12-03T04:00:00Z")).is_none());
        assert_eq!(s.phase(at("2026-12-03T05:00:00Z")), SilencePhase::Active);
        let cover = s.cover_at(at("2026-12-03T05:00:00Z")).unwrap_or_else(|| panic!("active"));
        assert!(cover.matches("cpu-high", "any", &[]));
        assert!(!cover.matches("disk", "any", &[]));
    }

    #[test]
    fn a_cover_matches_as_the_engine_does() {
        let now = "2026-12-03T05:00:00Z".parse::<DateTime<Utc>>().unwrap_or_else(|e| panic!("{e}"));
        let item = |servers: &[&str], tags: &[&str], rules: &[&str]| SilenceItem {
            id: 7,
            created_by: "api".into(),
            created: now,
            spec: SilenceSpec {
                servers: servers.iter().map(|s| s.to_string()).collect(),
                tags: tags.iter().map(|s| s.to_string()).collect(),
                rules: rules.iter().map(|s| s.to_string()).collect(),
                end: Some(now + chrono::Duration::hours(1)),
                ..SilenceSpec::default()
            },
        };
        let prod = ["prod".to_owned()];
        for (servers, tags, rules) in [
            (&["web-*"][..], &[][..], &[][..]),
            (&["db-1", "web-?"], &["prod"], &["cpu-*"]),
            (&[], &["staging", "prod"], &[]),
        ] {
            let spec = item(servers, tags, rules);
            let cover = spec.cover_at(now).unwrap_or_else(|| panic!("active"));
            let engine = fleetwatch_alerts::Silence::new(spec.spec.clone()).unwrap_or_else(|e| panic!("{e}"));
            for (rule, server, tags) in
                [("cpu-high", "web-1", &prod[..]), ("cpu-high", "web-12", &[][..]), ("disk", "db-1", &prod[..])]
            {
                assert_eq!(
                    cover.matches(rule, server, tags),
                    engine.matches(rule, server, tags),
                    "{spec:?} {rule} {server}"
                );
            }
        }
        let recurring = SilenceItem {
            spec: SilenceSpec {
                cron: Some("0 0 2 * * Sun".into()),
                duration_secs: Some(60),
                ..item(&["*"], &[], &[]).spec
            },
            ..item(&["*"], &[], &[])
        };
        assert_eq!(recurring.phase(now), SilencePhase::Recurring);
        assert!(recurring.cover_at(now).is_none(), "a window's schedule is the engine's to read");
    }
}
