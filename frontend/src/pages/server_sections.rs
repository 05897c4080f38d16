//! The tables of one server's snapshot: processes, disks, network with its listening ports,
//! users, sessions, containers; the latest one, or the one stored at a moment picked on a chart (each
//! panel says when its snapshot was collected). Each is shown when its API section answers; a
//! 404 (not collected yet, or nothing there: no docker, say) leaves one line instead.
//!
//! Hooks for browser tests: `table-<key>` (or `missing-<key>`), keys `processes`,
//! `processes-memory`, `disks`, `disk-io`, `network`, `listening`, `users`, `sessions`,
//! `containers`;
//! each panel's `data-taken` is the RFC 3339 time of the snapshot it shows.

use fleetwatch_common::{
    ContainerInfo, DisksSection, NetworkSection, ProcessInfo, ProcessesSection, Section, Session, TopUser,
};
use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::api::{Client, user_href};
use crate::components::data_table::{Col, data_table};
use crate::format::{MISSING, bytes, bytes_per_sec, local_time, millis, now_ms, per_sec};
use crate::remote::Remote;

fn pct(v: f64) -> String {
    format!("{v:.1}%")
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| MISSING.to_owned(), f)
}

const PROCESS_COLS: [Col<ProcessInfo>; 8] = [
    Col::num("PID", |p| p.pid.to_string()),
    Col::link("User", |p| p.user.clone(), |p| user_href(&p.user)),
    Col::text("Command", |p| p.command.clone()),
    Col::num("CPU", |p| pct(p.cpu_percent)),
    Col::num("Memory", |p| pct(p.mem_percent)),
    Col::num("Resident", |p| bytes(p.rss_bytes)),
    Col::num("Threads", |p| p.threads.to_string()),
    Col::num("Open files", |p| opt(p.open_fds, |n| n.to_string())),
];

fn processes(s: &ProcessesSection) -> AnyView {
    view! {
        <h3>"By CPU"</h3>
        {data_table("processes", "No processes in the latest sample.", &PROCESS_COLS, &s.by_cpu)}
        <h3>"By memory"</h3>
        {data_table("processes-memory", "No processes in the latest sample.", &PROCESS_COLS, &s.by_memory)}
    }
    .into_any()
}

fn disks(s: &DisksSection) -> AnyView {
    let usage = [
        Col::text("Mount", |d: &fleetwatch_common::DiskUsage| d.mount.clone()),
        Col::text("Device", |d| d.device.clone()),
        Col::text("Type", |d| d.fstype.clone()),
        Col::num("Size", |d| bytes(d.size_bytes)),
        Col::num("Used", |d| bytes(d.used_bytes)),
        Col::num("Available", |d| bytes(d.available_bytes)),
        Col::num("Used %", |d| pct(d.used_percent)),
        Col::num("Inodes", |d| opt(d.inodes_percent, pct)),
    ];
    let io = [
        Col::text("Device", |d: &fleetwatch_common::DiskIo| d.device.clone()),
        Col::num("Read", |d| bytes_per_sec(d.read_bytes_per_sec)),
        Col::num("Written", |d| bytes_per_sec(d.write_bytes_per_sec)),
        Col::num("Reads", |d| per_sec(d.reads_per_sec)),
        Col::num("Writes", |d| per_sec(d.writes_per_sec)),
        Col::num("Busy", |d| pct(d.busy_percent)),
    ];
    view! {
        {data_table("disks", "No mounted file systems reported.", &usage, &s.usage)}
        <h3>"Activity"</h3>
        {data_table("disk-io", "No disk activity reported.", &io, &s.io)}
    }
    .into_any()
}

fn network(s: &NetworkSection) -> AnyView {
    let cols = [
        Col::text("Interface", |n: &fleetwatch_common::NetInterface| n.name.clone()),
        Col::num("Received", |n| bytes_per_sec(n.rx_bytes_per_sec)),
        Col::num("Sent", |n| bytes_per_sec(n.tx_bytes_per_sec)),
        Col::num("Packets in", |n| per_sec(n.rx_packets_per_sec)),
        Col::num("Packets out", |n| per_sec(n.tx_packets_per_sec)),
        Col::num("Errors", |n| (n.rx_errors + n.tx_errors).to_string()),
        Col::num("Drops", |n| (n.rx_drops + n.tx_drops).to_string()),
    ];
    let states =
        s.tcp.as_ref().map(|t| t.states.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(" · "));
    let listening = [
        Col::text("Protocol", |l: &fleetwatch_common::ListeningPort| l.protocol.clone()),
        Col::text("Address", |l| l.address.clone()),
        Col::num("Port", |l| l.port.to_string()),
    ];
    let ports = s.tcp.as_ref().map(|t| t.listening.clone()).unwrap_or_default();
    view! {
        {data_table("network", "No network interfaces reported.", &cols, &s.interfaces)}
        {states.filter(|s| !s.is_empty()).map(|s| view! { <p class="muted">"TCP: " {s}</p> })}
        <h3>"Listening ports"</h3>
        {data_table("listening", "No listening ports reported.", &listening, &ports)}
    }
    .into_any()
}

// `&Vec`: the section type is `Vec<TopUser>`, and `render` takes `&T`.
#[allow(clippy::ptr_arg)]
fn users(s: &Vec<TopUser>) -> AnyView {
    let cols = [
        Col::link("User", |u: &TopUser| u.username.clone(), |u| user_href(&u.username)),
        Col::num("CPU", |u| pct(u.cpu)),
        Col::num("Memory", |u| pct(u.mem)),
        Col::num("Resident", |u| bytes(u.rss_bytes)),
        Col::num("Processes", |u| u.process_count.to_string()),
        Col::text("Busiest process", |u| u.top_process.clone()),
        Col::num("Disk", |u| opt(u.disk, |d| bytes(d.round() as i64))),
    ];
    data_table("users", "No users in this sample.", &cols, s)
}

#[allow(clippy::ptr_arg)]
fn sessions(s: &Vec<Session>) -> AnyView {
    let cols = [
        Col::text("User", |s: &Session| s.user.clone()),
        Col::text("Terminal", |s| s.tty.clone()),
        Col::text("From", |s| s.from.clone().unwrap_or_else(|| "local".to_owned())),
        Col::num("Since", |s| opt(s.login_time.as_ref(), |t| local_time(millis(t), now_ms()))),
    ];
    data_table("sessions", "Nobody is logged in.", &cols, s)
}

#[allow(clippy::ptr_arg)]
fn containers(s: &Vec<ContainerInfo>) -> AnyView {
    let cols = [
        Col::text("Name", |c: &ContainerInfo| c.name.clone()),
        Col::text("Image", |c| c.image.clone()),
        Col::text("State", |c| c.state.clone()),
        Col::text("Health", |c| c.health.clone().unwrap_or_else(|| MISSING.to_owned())),
        Col::num("Exit code", |c| c.exit_code.map_or_else(|| MISSING.to_owned(), |e| e.to_string())),
        Col::num("CPU", |c| opt(c.cpu_percent, pct)),
        Col::num("Memory", |c| match (c.memory_bytes, c.memory_limit_bytes) {
            (Some(m), Some(l)) if l > 0 => format!("{} of {}", bytes(m), bytes(l)),
            (m, _) => opt(m, bytes),
        }),
        Col::num("Net in / out", |c| match (c.net_rx_bytes, c.net_tx_bytes) {
            (Some(r), Some(t)) => format!("{} / {}", bytes(r), bytes(t)),
            _ => MISSING.to_owned(),
        }),
        Col::num("Disk read / written", |c| match (c.block_read_bytes, c.block_write_bytes) {
            (Some(r), Some(w)) => format!("{} / {}", bytes(r), bytes(w)),
            _ => MISSING.to_owned(),
        }),
    ];
    data_table("containers", "No containers.", &cols, s)
}

/// One section: loads when `reload` or `at` changes, renders with `render`.
#[component]
fn SectionPanel<T: DeserializeOwned + Clone + Send + Sync + 'static>(
    name: String,
    key: &'static str,
    title: &'static str,
    reload: Signal<u64>,
    at: Signal<String>,
    render: fn(&T) -> AnyView,
) -> impl IntoView {
    let remote = Remote::<Option<Section<T>>>::new();
    Effect::new(move |_| {
        reload.track();
        let (n, at) = (name.clone(), at.get());
        remote.load(async move { Client::default().section::<T>(&n, key, &at).await });
    });
    move || {
        let error = remote.error.get();
        remote.data.with(|d| match (d, error) {
            (_, Some(e)) => view! {
                <section class="panel wide">
                    <h2>{title}</h2>
                    <p class="error-text">{format!("Cannot load the {key}: {e}")}</p>
                </section>
            }
            .into_any(),
            (None, None) => ().into_any(),
            (Some(None), None) => view! {
                <p class="muted not-collected" data-testid=format!("missing-{key}")>
                    {format!("{title}: not collected yet.")}
                </p>
            }
            .into_any(),
            (Some(Some(section)), None) => {
                let at = local_time(millis(&section.timestamp), now_ms());
                let taken = section.timestamp.to_rfc3339();
                view! {
                    <section class="panel wide" data-section=key data-taken=taken>
                        <h2>{title} <span class="panel-note">{format!("as of {at}")}</span></h2>
                        {render(&section.data)}
                    </section>
                }
                .into_any()
            }
        })
    }
}

/// Every section of the server as stored at `at` (RFC 3339; `""`: the latest), reloaded
/// whenever `reload` or `at` changes.
#[component]
pub fn Sections(name: String, #[prop(into)] reload: Signal<u64>, #[prop(into)] at: Signal<String>) -> impl IntoView {
    view! {
        <SectionPanel name=name.clone() key="processes" title="Top processes" reload=reload at=at render=processes />
        <SectionPanel name=name.clone() key="disks" title="Disks" reload=reload at=at render=disks />
        <SectionPanel name=name.clone() key="network" title="Network" reload=reload at=at render=network />
        <SectionPanel name=name.clone() key="users" title="Users" reload=reload at=at render=users />
        <SectionPanel name=name.clone() key="sessions" title="Sessions" reload=reload at=at render=sessions />
        <SectionPanel name=name key="containers" title="Containers" reload=reload at=at render=containers />
    }
}
