//! The commands: wiring of config, store, collector and API. No logic of their own.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use fleetwatch_api::{AppState, ServerMeta};
use fleetwatch_collector::alerting::{AlertEngine, Delivery, DeliverySettings};
use fleetwatch_collector::identity::MemberLock;
use fleetwatch_collector::spool::{HeldFile, Spool, SpoolLimits};
use fleetwatch_collector::{Cluster, Collector, Schedule};
use fleetwatch_config::{Config, ProcessEnv, Server, config_path};
use fleetwatch_store::Store;
use secrecy::ExposeSecret;

use crate::cli::{Cli, Command, HostKeyAction};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::DefaultConfig => {
            print!("{}", fleetwatch_config::EXAMPLE);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Script { baseline } => {
            let opts = fleetwatch_collector::program::ProgramOptions { baseline, ..Default::default() };
            print!("{}", fleetwatch_collector::program::program(&opts));
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let path = config_path(cli.config.as_deref(), &ProcessEnv);
    let config = Config::load(path.as_deref(), &ProcessEnv).context("invalid configuration")?;
    let member = member_id(&config, path.as_deref());
    tracing::info!(source = %config.source, servers = config.servers.len(), "configuration loaded");
    match cli.command {
        Command::DefaultConfig | Command::Script { .. } => Ok(ExitCode::SUCCESS), // handled above
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::CollectOnce => collect_once(&config).await,
        Command::CollectUserDisk => collect_user_disk(&config).await,
        Command::Check => check(&config).await,
        Command::Serve => serve(config, Some(member), true).await,
        Command::Collector => serve(config, Some(member), false).await,
        Command::Api => serve(config, None, true).await,
        Command::DbStats => db_stats(&config).await,
        Command::Healthcheck { collector } => healthcheck(&config, collector.then_some(member.as_str())).await,
        Command::Cleanup { older_than } => cleanup(&config, older_than).await,
        Command::NotifyTest { channel } => crate::notify_test::notify_test(&config, &channel).await,
        Command::AuthorizedKeysLine { server, from } => {
            println!("{}", fleetwatch_collector::authorized_keys::line_for(&config.servers, &server, from.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::User { action } => crate::accounts::user(open_store(&config).await?.as_ref(), action).await,
        Command::Token { action } => {
            crate::accounts::token(open_store(&config).await?.as_ref(), &config.servers, action).await
        }
        Command::PushScript { server, url, token_file } => {
            crate::ingest::print_script(&config, &server, url.as_deref(), &token_file)
        }
        Command::HostKey { action } => {
            let store = open_store(&config).await?;
            match action {
                HostKeyAction::List => crate::host_key::list(&config, store.as_ref()).await,
                HostKeyAction::Accept { server, fingerprint, yes } => {
                    crate::host_key::accept(&config, store.as_ref(), &server, fingerprint.as_deref(), yes).await
                }
            }
        }
    }
}

/// This collector's identity among the members (`collector.member_id`, or the stable default).
fn member_id(config: &Config, path: Option<&std::path::Path>) -> String {
    let configured = config.collector.member_id.as_deref();
    fleetwatch_collector::identity::member_id(configured, config.database_url.expose_secret(), path)
}

async fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    let store =
        fleetwatch_store::connect(config.database_url.expose_secret()).await.context("cannot open the database")?;
    store.migrate().await.context("cannot apply the database migrations")?;
    Ok(Arc::from(store))
}

async fn collect_once(config: &Config) -> Result<ExitCode> {
    let store = open_store(config).await?;
    let engine = AlertEngine::new(store.clone(), config.alerting.clone(), &config.servers);
    let collector =
        Collector::new(config.servers.clone(), store, config.collector.clone()).with_alerts(Arc::new(engine));
    let (reports, alerts) = collector.run_cycle_with_alerts().await;
    collector.shutdown().await;
    for r in &reports {
        match &r.result {
            Ok(_) => println!("{}\tok\t{} ms", r.name, r.duration.as_millis()),
            Err(e) => println!("{}\tfailed\t{}: {}\t{} ms", r.name, e.reason(), e, r.duration.as_millis()),
        }
    }
    match alerts {
        Some(o) => println!(
            "alerts: {} change(s), {} notification(s) queued (a running collector delivers them)",
            o.transitions.len(),
            o.queued
        ),
        None => println!("alerts: not evaluated (see the log)"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn collect_user_disk(config: &Config) -> Result<ExitCode> {
    let store = open_store(config).await?;
    let collector = Collector::new(config.servers.clone(), store, config.collector.clone());
    let results = collector.run_user_disk().await;
    collector.shutdown().await;
    for (name, r) in &results {
        match r {
            Ok(users) => println!("{name}\tok\t{users} user(s)"),
            Err(e) => println!("{name}\tfailed\t{}: {e}", e.reason()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(config: &Config) -> Result<ExitCode> {
    println!("config: ok ({}), {} server(s)", config.source, config.servers.len());
    let store = open_store(config).await?;
    let collector = Collector::new(config.servers.clone(), store, config.collector.clone());
    let reports = collector.check().await;
    collector.shutdown().await;
    let mut failed = 0;
    for r in &reports {
        match &r.result {
            Ok(c) => {
                let key = match (&c.host_key, c.first_use) {
                    (Some(fp), true) => format!(", host key {fp} (not yet recorded: trusted on first collection)"),
                    (Some(fp), false) => format!(", host key {fp} verified"),
                    (None, _) => String::new(),
                };
                println!("{}: ok in {} ms{key}", r.name, r.duration.as_millis());
                for w in &c.warnings {
                    println!("  warning: {w}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("{}: FAILED ({}) {e}", r.name, e.reason());
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// Runs the API, the collector under the identity `member`, or both.
async fn serve(config: Config, member: Option<String>, api: bool) -> Result<ExitCode> {
    // Held until the process ends: no second live process collects under this identity.
    let lock = member.as_deref().map(|m| MemberLock::acquire(&config.collector.state_dir, m)).transpose()?;
    // A collector starts while the database is down (and connects when it is back); the API alone
    // needs it at once.
    let (store, ready, connecting) = if member.is_some() {
        let db = fleetwatch_collector::startup::open(config.database_url.expose_secret())
            .await
            .context("cannot open the database")?;
        (db.store, db.ready, db.connecting)
    } else {
        (open_store(&config).await?, Arc::new(std::sync::atomic::AtomicBool::new(true)), None)
    };
    let schedule = if let Some(member) = member {
        let state_dir = &config.collector.state_dir;
        let limits = SpoolLimits { max_bytes: config.spool.max_bytes(), max_age: config.spool.max_age() };
        let spool_dir = fleetwatch_collector::spool::dir_of(state_dir, &member);
        let spool = Spool::open(&spool_dir, limits).context("cannot open the spool")?;
        let held = HeldFile::new(state_dir, &member);
        let cluster =
            Arc::new(Cluster::new(store.clone(), config.collector.member_timeout(), member).with_held_file(held));
        let engine = AlertEngine::new(store.clone(), config.alerting.clone(), &config.servers);
        let delivery = Arc::new(Delivery::new(
            store.clone(),
            config.alerting.channels.clone(),
            config.public_url.clone(),
            cluster.id().to_owned(),
            DeliverySettings::default().with(&config.alerting.delivery),
        ));
        let collector = Arc::new(
            Collector::new(config.servers.clone(), store.clone(), config.collector.clone())
                .with_cluster(cluster)
                .with_alerts(Arc::new(engine))
                .with_spool(spool)
                .with_readiness(ready),
        );
        let replay = collector.start_replay();
        let mut tasks = delivery.spawn();
        tasks.push(replay);
        tasks.extend(connecting);
        tasks.push(crate::maintenance::spawn(store.clone(), config.retention));
        Some((Schedule::start(collector.clone()).await?, collector, tasks))
    } else {
        None
    };
    if api {
        let servers = config.servers.iter().map(meta).collect();
        let stale_after = config.collector.stale_after();
        let auth = fleetwatch_api::AuthSettings {
            required: config.auth.login_required(config.listen),
            session_idle: config.auth.session_idle(),
            session_max: config.auth.session_max(),
        };
        let ingest = Arc::new(crate::ingest::PushIngest::new(&config, store.clone()));
        let state = AppState::new(store, servers, config.thresholds, stale_after, config.ui.refresh_secs)
            .with_alerting(&config.alerting)
            .with_auth(auth)
            .with_ingest(ingest, fleetwatch_api::ingest::PushSettings::default());
        state.start_events(std::time::Duration::from_secs(2));
        if !config.web_dir.join("index.html").exists() {
            tracing::warn!(web_dir = %config.web_dir.display(), "no dashboard build found: run `make frontend` (the API works without it)");
        }
        let app = fleetwatch_api::router(state.clone(), &config.web_dir);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        println!("Fleetwatch dashboard: http://{addr}/");
        tracing::info!(%addr, "listening");
        let base = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        if let Some(link) = state.auth().setup_link(&base, config.auth.setup_link_valid()).await? {
            // A one-time secret, meant for the operator's eyes: the one place it is ever shown.
            println!("No user yet: create the first admin at {link}");
            tracing::warn!(
                "no user yet: open the setup link printed on standard output (valid once, for {} s) or run `fleetwatch user add NAME --role admin`",
                config.auth.setup_link_secs
            );
        }
        let closing = state.clone();
        let shutdown = async move {
            shutdown_signal().await;
            closing.close_streams();
        };
        fleetwatch_api::serve(listener, app, shutdown).await?;
    } else {
        shutdown_signal().await;
    }
    if let Some((schedule, collector, delivery)) = schedule {
        delivery.iter().for_each(|d| d.abort());
        tracing::info!("stopping: finishing the cycle in flight");
        schedule.stop().await;
        collector.shutdown().await;
    }
    drop(lock);
    Ok(ExitCode::SUCCESS)
}

fn meta(s: &Server) -> ServerMeta {
    ServerMeta {
        name: s.name.clone(),
        transport: s.transport(),
        host: s.ssh.as_ref().map(|x| x.host.clone()),
        port: s.ssh.as_ref().map(|x| x.port),
        tags: s.tags.clone(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                if let Err(e) = ctrl_c.await {
                    tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                }
            }
        }
    }
    #[cfg(not(unix))]
    if let Err(e) = ctrl_c.await {
        tracing::warn!(error = %e, "cannot listen for Ctrl-C");
    }
}

async fn db_stats(config: &Config) -> Result<ExitCode> {
    let store = open_store(config).await?;
    let stats = store.stats().await?;
    println!("backend: {}", stats.backend);
    if let Some(size) = stats.size_bytes {
        println!("size: {:.1} MiB", size as f64 / 1_048_576.0);
    }
    println!("{:<16} {:>12}  {:<25}  {:<25}", "table", "rows", "oldest", "newest");
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
    for t in stats.tables {
        println!("{:<16} {:>12}  {:<25}  {:<25}", t.table, t.rows, ts(t.oldest), ts(t.newest));
    }
    let mib = |b: i64| b as f64 / 1_048_576.0;
    println!();
    println!("{:<6} {:>10} {:>12} {:>11}  {:<25}  {:<25}", "tier", "rows", "points", "MiB", "oldest", "newest");
    for t in &stats.tiers {
        println!(
            "{:<6} {:>10} {:>12} {:>11.2}  {:<25}  {:<25}",
            t.tier,
            t.rows,
            t.points,
            mib(t.bytes),
            ts(t.oldest),
            ts(t.newest)
        );
    }
    println!();
    println!("{:<32} {:>11} {:>11}", "server", "raw MiB", "rollup MiB");
    for s in &stats.servers {
        println!("{:<32} {:>11.2} {:>11.2}", s.server_name, mib(s.raw_bytes), mib(s.rollup_bytes));
    }
    Ok(ExitCode::SUCCESS)
}

/// Rolls up and applies `[retention]` at once, as the collector does on its schedule;
/// `--older-than` replaces the raw samples' age.
async fn cleanup(config: &Config, older_than: Option<std::time::Duration>) -> Result<ExitCode> {
    let mut retention = crate::maintenance::retention(&config.retention);
    if let Some(age) = older_than {
        retention.raw = Some(age);
    }
    let store = open_store(config).await?;
    let m = store.maintain(&retention, chrono::Utc::now()).await?;
    let [five, hour, day] = m.buckets_deleted;
    println!(
        "rolled up {} bucket(s); deleted {} raw sample(s), {five} 5-minute, {hour} hourly and {day} daily bucket(s) \
         past their tier's age; sealed {} complete span(s) of tiers and {} of raw blocks; summarised {} user \
         day(s), deleted {}",
        m.rolled_up, m.raw_deleted, m.sealed, m.blocks_sealed, m.user_days, m.user_days_deleted
    );
    Ok(ExitCode::SUCCESS)
}

/// Healthy when the database answers and, for `--collector`, when this config's collector
/// member (`collector`) has a fresh heartbeat.
async fn healthcheck(config: &Config, collector: Option<&str>) -> Result<ExitCode> {
    let store = fleetwatch_store::connect(config.database_url.expose_secret()).await.context("database unreachable")?;
    store.ping().await.context("database unreachable")?;
    if let Some(member) = collector {
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(config.collector.member_timeout()).unwrap_or(chrono::Duration::seconds(30));
        let members = store.live_members(since).await.context("cannot read collector heartbeats")?;
        if !members.iter().any(|m| m == member) {
            println!("unhealthy: no heartbeat from collector member {member}");
            return Ok(ExitCode::FAILURE);
        }
    }
    println!("healthy");
    Ok(ExitCode::SUCCESS)
}
