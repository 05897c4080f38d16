use secrecy::ExposeSecret;

use super::*;
use crate::channel::{ChannelConfig, SecretSource};
use crate::fixture::{Secrets, at};
use crate::group::GroupStatus;
use crate::state::{AlertState, Severity, Transition, TransitionKind};

const PUBLIC: RenderContext<'static> = RenderContext { public_url: Some("https://fleet.example/"), max_listed: 20 };

fn channel(toml_text: &str) -> Channel {
    let cfg: ChannelConfig = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    let secrets: &dyn SecretSource = &Secrets::default();
    cfg.resolve("alerts.channels[0]", secrets).unwrap_or_else(|e| panic!("{e}"))
}

fn disk(server: &str) -> Transition {
    Transition {
        rule: "disk-full".into(),
        server: server.into(),
        instance: "/var".into(),
        kind: TransitionKind::Firing,
        from: AlertState::Pending,
        to: AlertState::Firing,
        severity: Severity::Critical,
        previous_severity: None,
        metric: Some("disk[/var].used_percent".into()),
        fired_value: Some(91.0),
        value: Some(93.25),
        since: at(0),
        at: at(60),
        detail: None,
        notify: true,
        silenced: false,
    }
}

fn firing(n: usize) -> Notification {
    let alerts = (0..n).map(|i| disk(&format!("db {i}"))).collect();
    Notification { channel: "c".into(), status: GroupStatus::Firing, severity: Severity::Critical, alerts }
}

fn http(o: Outgoing) -> HttpRequest {
    match o {
        Outgoing::Http(r) => r,
        Outgoing::Email(e) => panic!("{e:?}"),
    }
}

fn json_body(r: &HttpRequest) -> &serde_json::Value {
    match &r.body {
        Body::Json(v) => v,
        Body::Text(t) | Body::JsonText(t) => panic!("{t}"),
    }
}

#[test]
fn a_line_says_what_where_since_when_the_value_the_severity_and_links_the_server() {
    let text = text::line(&disk("db 1"), &PUBLIC);
    assert_eq!(
        text,
        "CRITICAL disk-full on db 1 (/var): disk[/var].used_percent = 93.2 (fired at 91); since 2026-12-01 12:00 UTC https://fleet.example/servers/db%201"
    );
    let mut resolved = disk("db-1");
    resolved.kind = TransitionKind::Resolved;
    assert!(text::line(&resolved, &RenderContext::default()).starts_with("RESOLVED disk-full on db-1 (/var)"));
    assert!(
        text::line(&resolved, &RenderContext::default())
            .ends_with("firing since 2026-12-01 12:00 UTC, resolved 2026-12-01 12:01 UTC")
    );
}

#[test]
fn slack_and_discord_get_their_documented_shapes_and_discord_stays_under_2000() {
    let slack = http(render(
        &channel("name = 's'\nkind = 'slack'\nurl = 'https://hooks.slack.example/T/B/x'"),
        &firing(1),
        &PUBLIC,
    ));
    assert_eq!(
        json_body(&slack)["text"].as_str().map(|t| t.starts_with("CRITICAL disk-full on db 0 (/var)\n\nCRITICAL")),
        Some(true)
    );
    assert_eq!(slack.url.expose_secret(), "https://hooks.slack.example/T/B/x");
    let storm = firing(300);
    let discord = http(render(
        &channel("name = 'd'\nkind = 'discord'\nurl = 'https://discord.example/api/webhooks/1/x'"),
        &storm,
        &PUBLIC,
    ));
    let content = json_body(&discord)["content"].as_str().unwrap_or_default().to_owned();
    assert!(content.chars().count() <= 2_000, "{}", content.len());
    assert!(content.starts_with("CRITICAL 300 alerts on 300 servers: disk-full"), "{content}");
    let full = text::plain(&storm, &PUBLIC);
    assert!(full.contains("… and 280 more"), "a count and the first 20");
}

#[test]
fn teams_gets_an_adaptive_card_in_attachments() {
    let r = http(render(
        &channel("name = 't'\nkind = 'teams'\nurl = 'https://prod.example/workflows/x'"),
        &firing(2),
        &PUBLIC,
    ));
    let b = json_body(&r);
    assert_eq!(b["type"], "message");
    assert_eq!(b["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    let card = &b["attachments"][0]["content"];
    assert_eq!((card["type"].as_str(), card["version"].as_str()), (Some("AdaptiveCard"), Some("1.4")));
    assert_eq!(card["body"].as_array().map(Vec::len), Some(3), "title + two alerts");
    assert_eq!(card["actions"][0]["url"], "https://fleet.example/");
}

#[test]
fn telegram_posts_send_message_under_the_configured_api_url() {
    let c = channel(
        "name = 'tg'\nkind = 'telegram'\ntoken = '123:ABC'\nchat_id = '-1001'\napi_url = 'http://127.0.0.1:9/'",
    );
    let r = http(render(&c, &firing(1), &PUBLIC));
    assert_eq!(r.url.expose_secret(), "http://127.0.0.1:9/bot123:ABC/sendMessage");
    assert_eq!(json_body(&r)["chat_id"], "-1001");
    assert!(json_body(&r)["text"].as_str().is_some_and(|t| t.contains("93.2")));
    assert!(!format!("{r:?}").contains("123:ABC"), "the token is in the URL, and the URL is redacted");
}

#[test]
fn ntfy_and_gotify_carry_title_priority_and_their_token() {
    let r = http(render(
        &channel("name = 'n'\nkind = 'ntfy'\nurl = 'https://ntfy.example/fleet'\ntoken = 'tk_x'"),
        &firing(1),
        &PUBLIC,
    ));
    let header =
        |r: &HttpRequest, name: &str| r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.expose().to_owned());
    assert_eq!(header(&r, "Title").as_deref(), Some("CRITICAL disk-full on db 0 (/var)"));
    assert_eq!(header(&r, "Priority").as_deref(), Some("5"));
    assert_eq!(header(&r, "Tags").as_deref(), Some("rotating_light"));
    assert_eq!(header(&r, "Click").as_deref(), Some("https://fleet.example/servers/db%200"));
    assert_eq!(header(&r, "Authorization").as_deref(), Some("Bearer tk_x"));
    assert!(matches!(&r.body, Body::Text(t) if t.starts_with("CRITICAL disk-full")));
    let g = http(render(
        &channel("name = 'g'\nkind = 'gotify'\nurl = 'https://gotify.example/'\ntoken = 'AppTok'"),
        &firing(2),
        &PUBLIC,
    ));
    assert_eq!(g.url.expose_secret(), "https://gotify.example/message");
    assert_eq!(header(&g, "X-Gotify-Key").as_deref(), Some("AppTok"));
    assert_eq!(json_body(&g)["priority"], 8);
    let shown = format!("{r:?} {g:?}");
    assert!(!shown.contains("tk_x") && !shown.contains("AppTok") && !shown.contains("ntfy.example/fleet"), "{shown}");
}

#[test]
fn the_webhook_body_lists_every_alert_with_the_documented_fields() {
    let r =
        http(render(&channel("name = 'w'\nkind = 'webhook'\nurl = 'https://recv.example/hook'"), &firing(25), &PUBLIC));
    let b = json_body(&r);
    assert_eq!((b["version"].as_u64(), b["status"].as_str(), b["count"].as_u64()), (Some(1), Some("firing"), Some(25)));
    let a = &b["alerts"][0];
    for key in [
        "rule",
        "server",
        "instance",
        "kind",
        "severity",
        "previous_severity",
        "metric",
        "value",
        "fired_value",
        "since",
        "at",
        "detail",
        "url",
    ] {
        assert!(a.get(key).is_some(), "{key}");
    }
    assert_eq!((a["severity"].as_str(), a["value"].as_f64()), (Some("critical"), Some(93.25)));
    assert_eq!(a["since"], "2026-12-01T12:00:00Z");
    assert_eq!(a["url"], "https://fleet.example/servers/db%200");
    assert!(r.headers.is_empty());
}

#[test]
fn email_has_a_subject_recipients_and_a_plain_body() {
    let c = channel(
        "name = 'm'\nkind = 'email'\nhost = 'smtp.example'\nfrom = 'fw@example'\nto = ['a@example', 'b@example']",
    );
    let Outgoing::Email(mail) = render(&c, &firing(1), &PUBLIC) else { panic!("not an email") };
    assert_eq!(mail.subject, "CRITICAL disk-full on db 0 (/var)");
    assert_eq!((mail.from.as_str(), mail.to.len()), ("fw@example", 2));
    assert!(mail.text.contains("since 2026-12-01 12:00 UTC https://fleet.example/servers/db%200"), "{}", mail.text);
}

#[test]
fn urls_are_shown_without_path_or_credentials() {
    assert_eq!(redacted_url("https://hooks.slack.com/services/T/B/X"), "https://hooks.slack.com/[REDACTED]");
    assert_eq!(redacted_url("https://user:pw@ntfy.example/topic?x=1"), "https://ntfy.example/[REDACTED]");
    assert_eq!(text::truncate("ééééé".into(), 3), "éé…");
    assert_eq!(server_url("https://f.example", "web/1 ü"), "https://f.example/servers/web%2F1%20%C3%BC");
}

const TEMPLATE: &str = r#"{"text": "{{message}}", "host": "{{ server }}", "rule": "{{rule}}", "sev": "{{severity}}",
  "v": "{{value}}", "st": "{{state}}", "link": "{{url}}"}"#;

fn templated(template: &str) -> Channel {
    channel(&format!("name = 'w'\nkind = 'webhook'\nurl = 'https://h.example/x'\ntemplate = '''{template}'''"))
}

fn template_body(c: &Channel, n: &Notification, ctx: &RenderContext<'_>) -> serde_json::Value {
    let r = http(render(c, n, ctx));
    assert_eq!(r.body.content_type(), "application/json");
    match r.body {
        Body::JsonText(t) => serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_webhook_template_replaces_the_body_with_every_value_json_escaped() {
    let c = templated(TEMPLATE);
    let mut n = firing(1);
    n.alerts[0].server = "db \"quoted\"\\".into();
    n.alerts[0].detail = Some("line one\nline two\ttab".into());
    let v = template_body(&c, &n, &PUBLIC);
    assert_eq!(v["host"], "db \"quoted\"\\");
    assert_eq!(
        (&v["rule"], &v["sev"], &v["st"], &v["v"]),
        (&"disk-full".into(), &"critical".into(), &"firing".into(), &"93.2".into())
    );
    assert_eq!(v["link"], "https://fleet.example/servers/db%20%22quoted%22%5C");
    let text = v["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("CRITICAL disk-full on db \"quoted\"\\ (/var)\n\n"), "{text}");
    assert!(text.contains("line one\nline two\ttab"), "{text}");

    // A group: every server and rule once, no single value, the dashboard's link.
    let mut group = firing(3);
    group.alerts[2].rule = "cpu-high".into();
    group.status = GroupStatus::Resolved;
    let v = template_body(&c, &group, &PUBLIC);
    assert_eq!((&v["host"], &v["rule"]), (&"db 0, db 1, db 2".into(), &"disk-full, cpu-high".into()));
    assert_eq!((&v["v"], &v["st"], &v["link"]), (&"".into(), &"resolved".into(), &"https://fleet.example".into()));
    let v = template_body(&c, &group, &RenderContext::default());
    assert_eq!(v["link"], "", "no public_url, no link");
}

#[test]
fn a_bad_template_is_refused_naming_its_key() {
    let bad = |template: &str, kind: &str| {
        let cfg: ChannelConfig = toml::from_str(&format!(
            "name = 'w'\nkind = '{kind}'\nurl = 'https://h.example/x'\ntemplate = '''{template}'''"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let secrets: &dyn SecretSource = &Secrets::default();
        let e = cfg.resolve("alerts.channels[0]", secrets).err().unwrap_or_else(|| panic!("{template} accepted"));
        e.0.into_iter().map(|e| format!("{}: {}", e.key, e.message)).collect::<Vec<_>>().join("\n")
    };
    let e = bad(r#"{"a": "{{host}}"}"#, "webhook");
    assert!(e.starts_with("alerts.channels[0].template: unknown placeholder `{{host}}`; known: {{server}}"), "{e}");
    assert!(bad(r#"{"a": "{{server"}"#, "webhook").contains("never closed"));
    let e = bad(r#"{"a": {{value}}}"#, "webhook");
    assert!(e.contains("alerts.channels[0].template: is not JSON once its placeholders are filled in"), "{e}");
    assert!(bad(r#"{"a": "{{server}}"}"#, "slack").contains("alerts.channels[0].template: not used by kind slack"));
}
