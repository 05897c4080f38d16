//! The seeds' remaining endpoints (issue #16) on a real listener, against SQLite and
//! PostgreSQL, checked field by field against what was stored: seed 000's
//! `/api/metrics/{cpu,memory,disk,all}`, seed 001's `/api/system/health…`, seed 002's
//! `/api/metrics/recent` and seed 004's `/api/servers/{host}/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Age, Utc};
use fleetwatch_api::{AppState, ServerMeta};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskIo, DiskUsage, MemoryStats, ProcessInfo, Sample, Thresholds,
    Transport,
};
use fleetwatch_store::{Store, UserUsage};
use fleetwatch_testkit::PgTestDb;
use serde_json::Value;

mod common;
use common::{Api, meta};

const GIB: i64 = 1 << 30;

/// The busy share of the local machine's three stored cycles, 30, 20 and 10 minutes ago.
const CPU: [f64; 3] = [20.0, 60.0, 40.0];

fn details(name: &str, minutes_ago: i64, cpu: f64) -> Details {
    let core = |i: usize, busy: f64| CpuBreakdown { name: format!("cpu{i}"), busy, ..Default::default() };
    Details {
        server_name: name.into(),
        timestamp: Utc::now() - Age::minutes(minutes_ago),
        cpu: Some(CpuStats {
            total: Some(CpuBreakdown {
                name: "cpu".into(),
                busy: cpu,
                user: cpu - 5.0,
                system: 4.0,
                iowait: 1.0,
                idle: 100.0 - cpu,
                ..Default::default()
            }),
            cores: vec![core(0, cpu + 10.0), core(1, cpu - 10.0)],
            core_count: 2,
            load_1: Some(1.5),
            load_5: Some(1.25),
            load_15: Some(0.75),
            model: Some("Test CPU".into()),
            mhz: Some(2400.0),
        }),
        memory: Some(MemoryStats {
            total: 8 * GIB,
            used: 6 * GIB,
            available: 2 * GIB,
            free: GIB,
            buffers: 1 << 20,
            cached: 3 << 20,
            swap_total: 2 * GIB,
            swap_used: GIB / 2,
            used_percent: 75.0,
            swap_percent: 25.0,
            ..Default::default()
        }),
        disks: vec![
            DiskUsage {
                mount: "/".into(),
                device: "/dev/vda1".into(),
                fstype: "ext4".into(),
                size_bytes: 100 * GIB,
                used_bytes: 40 * GIB,
                available_bytes: 60 * GIB,
                used_percent: 40.0,
                inodes_percent: Some(3.0),
                ..Default::default()
            },
            DiskUsage {
                mount: "/var".into(),
                device: "/dev/vdb1".into(),
                fstype: "xfs".into(),
                size_bytes: 10 * GIB,
                used_bytes: 9 * GIB,
                available_bytes: GIB,
                used_percent: 90.0,
                ..Default::default()
            },
        ],
        disk_io: vec![DiskIo {
            device: "vda".into(),
            read_bytes_per_sec: 4096.0,
            write_bytes_per_sec: 8192.0,
            reads_per_sec: 1.0,
            writes_per_sec: 2.0,
            busy_percent: 3.5,
        }],
        // Seven processes, stored out of order: the answer's top five are by CPU.
        processes_by_cpu: [(11, 5.0), (12, 70.0), (13, 1.0), (14, 35.0), (15, 50.0), (16, 0.5), (17, 20.0)]
            .into_iter()
            .map(|(pid, cpu)| ProcessInfo {
                pid,
                user: format!("u{pid}"),
                command: format!("cmd{pid}"),
                cpu_percent: cpu,
                rss_bytes: pid << 20,
                mem_percent: 1.0,
                threads: pid - 10,
                open_fds: Some(pid * 2),
            })
            .collect(),
        containers: Some(vec![
            ContainerInfo {
                name: "web".into(),
                image: "nginx:1".into(),
                state: "running".into(),
                health: Some("healthy".into()),
                cpu_percent: Some(cpu / 10.0),
                memory_bytes: Some(100 << 20),
                ..Default::default()
            },
            ContainerInfo {
                name: "job".into(),
                image: "busybox".into(),
                state: "exited".into(),
                exit_code: Some(3),
                ..Default::default()
            },
            ContainerInfo {
                name: "db".into(),
                image: "postgres:16".into(),
                state: "running".into(),
                health: Some("unhealthy".into()),
                cpu_percent: Some(1.0),
                memory_bytes: Some(200 << 20),
                ..Default::default()
            },
        ]),
        ..Default::default()
    }
}

fn sample(d: &Details) -> Sample {
    Sample {
        server_name: d.server_name.clone(),
        cpu_percent: d.cpu.as_ref().and_then(|c| c.total.as_ref()).map(|t| t.busy),
        cpu_load_1min: Some(1.5),
        cpu_load_5min: Some(1.25),
        cpu_load_15min: Some(0.75),
        ram_percentage: Some(75.0),
        swap_percentage: Some(25.0),
        disk_percentage: Some(90.0),
        logged_users: Some(1),
        tcp_connections: Some(9),
        uptime_seconds: Some(7200),
        timestamp: d.timestamp,
        ..Default::default()
    }
}

fn user(name: &str, cpu: f64) -> UserUsage {
    UserUsage {
        username: name.into(),
        cpu,
        mem: 2.0,
        rss_bytes: 1 << 20,
        process_count: 4,
        top_process: "x".into(),
        disk_bytes: None,
    }
}

/// `web-1` is configured first, the local machine second, `empty` has nothing stored.
async fn seed(store: &dyn Store) {
    store.migrate().await.unwrap();
    for (minutes, cpu) in [30, 20, 10].into_iter().zip(CPU) {
        let d = details("local", minutes, cpu);
        store.record_success(&sample(&d), &[user("alice", cpu)], Some(&d), 5).await.unwrap();
    }
    let d = details("web-1", 5, 99.0);
    store.record_success(&sample(&d), &[user("www", 99.0)], Some(&d), 5).await.unwrap();
}

async fn start(store: Arc<dyn Store>) -> Api {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    let local = ServerMeta { transport: Transport::Local, host: None, port: None, ..meta("local", &["here"]) };
    let servers = vec![meta("web-1", &["web"]), local, meta("empty", &[])];
    let state = AppState::new(store, servers, Thresholds::default(), Duration::from_secs(3600), 30);
    Api::serve(state, dir).await
}

fn not_found(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["details"]["code"], "NOT_FOUND", "{body}");
}

fn bad_request(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["details"]["code"], "BAD_REQUEST", "{body}");
}

async fn ok(api: &Api, path: &str) -> Value {
    let (s, b) = api.get(path).await;
    assert_eq!(s, 200, "{path}: {b}");
    b
}

/// Seed 000: the local machine by default, any server by `?server=`.
async fn seed_000(api: &Api) {
    let cpu = ok(api, "/api/metrics/cpu").await;
    assert_eq!(cpu["server_name"], "local", "the local machine is the default, not the first server: {cpu}");
    assert_eq!(cpu["cpu_percent"], CPU[2]);
    assert_eq!(cpu["cpu_count"], 2);
    assert_eq!(cpu["load_average"], serde_json::json!([1.5, 1.25, 0.75]));
    assert_eq!(cpu["per_cpu_percent"], serde_json::json!([CPU[2] + 10.0, CPU[2] - 10.0]));
    assert_eq!((cpu["user"].as_f64(), cpu["system"].as_f64()), (Some(CPU[2] - 5.0), Some(4.0)));
    assert_eq!((cpu["iowait"].as_f64(), cpu["idle"].as_f64()), (Some(1.0), Some(100.0 - CPU[2])));
    assert_eq!((cpu["frequency_mhz"].as_f64(), cpu["model"].as_str()), (Some(2400.0), Some("Test CPU")));
    assert!(chrono::DateTime::parse_from_rfc3339(cpu["timestamp"].as_str().unwrap()).is_ok(), "{cpu}");

    assert_eq!(ok(api, "/api/metrics/cpu?server=web-1").await["cpu_percent"], 99.0);
    let (s, b) = api.get("/api/metrics/cpu?server=nope").await;
    assert_eq!(s, 404);
    not_found(&b);
    let (s, b) = api.get("/api/metrics/memory?server=empty").await;
    assert_eq!(s, 404, "a configured server with nothing stored: {b}");
    not_found(&b);

    let mem = ok(api, "/api/metrics/memory").await;
    assert_eq!(mem["server_name"], "local");
    assert_eq!((mem["total"].as_i64(), mem["used"].as_i64()), (Some(8 * GIB), Some(6 * GIB)));
    assert_eq!((mem["available"].as_i64(), mem["free"].as_i64()), (Some(2 * GIB), Some(GIB)));
    assert_eq!((mem["buffers"].as_i64(), mem["cached"].as_i64()), (Some(1 << 20), Some(3 << 20)));
    assert_eq!(mem["percent"], 75.0);
    assert_eq!(
        mem["swap"],
        serde_json::json!({"total": 2 * GIB, "used": GIB / 2, "free": 2 * GIB - GIB / 2, "percent": 25.0})
    );

    let disk = ok(api, "/api/metrics/disk").await;
    let parts = disk["partitions"].as_array().unwrap();
    let mounts: Vec<_> = parts.iter().map(|p| p["mountpoint"].as_str().unwrap()).collect();
    assert_eq!(mounts, ["/var", "/"], "fullest first: {disk}");
    assert_eq!(
        parts[1],
        serde_json::json!({"device": "/dev/vda1", "mountpoint": "/", "fstype": "ext4", "total": 100 * GIB,
            "used": 40 * GIB, "free": 60 * GIB, "percent": 40.0, "inodes_percent": 3.0})
    );
    assert_eq!(disk["io"][0]["device"], "vda");
    assert_eq!(disk["io"][0]["write_bytes_per_sec"], 8192.0);

    let all = ok(api, "/api/metrics/all?server=web-1").await;
    assert_eq!(all["server_name"], "web-1");
    assert_eq!(all["cpu"]["cpu_percent"], 99.0);
    assert_eq!(all["memory"]["total"], 8 * GIB);
    assert_eq!(all["disk"]["partitions"].as_array().unwrap().len(), 2);
}

/// Seed 001: current health, history with its summary, containers and one container's history.
async fn seed_001(api: &Api) {
    let h = ok(api, "/api/system/health").await;
    assert_eq!(h["server_name"], "local");
    assert_eq!(h["cpu_percent"], CPU[2]);
    assert_eq!((h["memory_percent"].as_f64(), h["disk_percent"].as_f64()), (Some(75.0), Some(90.0)));
    assert_eq!(h["load_average"], serde_json::json!([1.5, 1.25, 0.75]));
    assert_eq!((h["uptime_seconds"].as_i64(), h["tcp_connections"].as_i64()), (Some(7200), Some(9)));
    assert_eq!(h["containers"], serde_json::json!({"total": 3, "running": 2, "unhealthy": 1}));
    // 90 % disk is over the default critical threshold.
    assert_eq!(h["status"], "critical", "{h}");
    let e = ok(api, "/api/system/health?server=empty").await;
    assert_eq!((e["status"].as_str(), e["timestamp"].is_null()), (Some("offline"), true), "{e}");

    let m = ok(api, "/api/system/health/metrics?hours=1").await;
    assert_eq!((m["hours"].as_u64(), m["interval"].is_null()), (Some(1), true), "{m}");
    let points: Vec<f64> =
        m["metrics"].as_array().unwrap().iter().map(|p| p["cpu_percent"].as_f64().unwrap()).collect();
    assert_eq!(points, CPU, "every sample of the hour, oldest first: {m}");
    let avg = CPU.iter().sum::<f64>() / 3.0;
    let s = &m["summary"]["cpu_percent"];
    assert!((s["avg"].as_f64().unwrap() - avg).abs() < 1e-6 && s["max"] == 60.0, "summary: {m}");
    assert_eq!(m["summary"]["ram_percentage"]["max"], 75.0);
    // One point per 15 minutes: the 30-minute window of samples falls into at most 5 of them.
    let m = ok(api, "/api/system/health/metrics?hours=1&interval=15m").await;
    assert_eq!(m["interval"], "15m");
    let n = m["metrics"].as_array().unwrap().len();
    assert!((2..=3).contains(&n), "15-minute points over samples 30, 20 and 10 minutes old: {n}: {m}");
    let m = ok(api, "/api/system/health/metrics?hours=1&server=web-1").await;
    assert_eq!(m["metrics"].as_array().unwrap().len(), 1);
    let (s, b) = api.get("/api/system/health/metrics?interval=2m").await;
    assert_eq!(s, 400);
    bad_request(&b);
    let (s, b) = api.get("/api/system/health/metrics?hours=0").await;
    assert_eq!(s, 400);
    bad_request(&b);

    let c = ok(api, "/api/system/health/containers").await;
    let names: Vec<_> = c["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["web", "job", "db"]);
    assert_eq!(c["containers"][1]["exit_code"], 3);
    let (s, b) = api.get("/api/system/health/containers?server=empty").await;
    assert_eq!(s, 404);
    not_found(&b);

    let one = ok(api, "/api/system/health/containers/web?hours=1").await;
    assert_eq!(
        (one["container"]["image"].as_str(), one["container"]["health"].as_str()),
        (Some("nginx:1"), Some("healthy"))
    );
    let cpu: Vec<f64> = one["cpu_percent"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert_eq!(cpu, CPU.map(|c| c / 10.0), "the container's CPU over the hour: {one}");
    assert_eq!(one["memory_bytes"].as_array().unwrap().len(), 3);
    let (s, b) = api.get("/api/system/health/containers/nope").await;
    assert_eq!(s, 404);
    not_found(&b);
}

/// Seed 002: recent samples and the five busiest processes with threads and open files.
async fn seed_002(api: &Api) {
    let r = ok(api, "/api/metrics/recent").await;
    assert_eq!((r["server_name"].as_str(), r["minutes"].as_u64()), (Some("local"), Some(60)));
    assert_eq!(r["metrics"].as_array().unwrap().len(), 3, "{r}");
    let top = r["top_processes"].as_array().unwrap();
    let pids: Vec<_> = top.iter().map(|p| p["pid"].as_i64().unwrap()).collect();
    assert_eq!(pids, [12, 15, 14, 17, 11], "top five by CPU: {r}");
    assert_eq!(
        top[0],
        serde_json::json!({"pid": 12, "name": "cmd12", "username": "u12", "cpu_percent": 70.0, "memory_percent": 1.0,
            "rss_bytes": 12 << 20, "num_threads": 2, "open_files": 24})
    );
    let r = ok(api, "/api/metrics/recent?minutes=15").await;
    assert_eq!(r["metrics"].as_array().unwrap().len(), 1, "only the sample of 10 minutes ago: {r}");
    let (s, b) = api.get("/api/metrics/recent?minutes=0").await;
    assert_eq!(s, 400);
    bad_request(&b);
}

/// Seed 004: one host, everything known, with and without the trailing slash.
async fn seed_004(api: &Api) {
    for path in ["/api/servers/local/", "/api/servers/local"] {
        let d = ok(api, path).await;
        assert_eq!((d["name"].as_str(), d["transport"].as_str()), (Some("local"), Some("local")), "{d}");
        assert_eq!(d["tags"], serde_json::json!(["here"]));
        assert_eq!(d["status"]["status"], "critical");
        assert_eq!(d["latest"]["cpu_percent"], CPU[2]);
        assert_eq!(d["details"]["memory"]["total"], 8 * GIB);
        assert_eq!(d["details"]["containers"].as_array().unwrap().len(), 3);
        assert_eq!(d["users"][0]["username"], "alice");
        assert!(d["series"].as_array().unwrap().iter().any(|s| s == "cpu.busy"), "{d}");
        assert!(d["host_key"].is_null());
    }
    let w = ok(api, "/api/servers/web-1/").await;
    assert_eq!((w["host"].as_str(), w["port"].as_u64()), (Some("web-1.example"), Some(22)));
    let (s, b) = api.get("/api/servers/nope/").await;
    assert_eq!(s, 404);
    not_found(&b);
}

async fn all(store: Arc<dyn Store>) {
    seed(store.as_ref()).await;
    let api = start(store).await;
    seed_000(&api).await;
    seed_001(&api).await;
    seed_002(&api).await;
    seed_004(&api).await;
}

#[tokio::test]
async fn seed_endpoints_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("seed.db").display());
    all(Arc::from(fleetwatch_store::connect(&url).await.unwrap())).await;
}

#[tokio::test]
async fn seed_endpoints_on_postgres() {
    let db = PgTestDb::create().await;
    all(Arc::from(fleetwatch_store::connect(&db.url).await.unwrap())).await;
}
