//! Docker can't run on the test machines, so the compose stack is checked offline: the compose
//! file against the compose spec, and docker-compose.yml, the nginx config (rendered by
//! nginx/render.sh from the nginx service's own environment), the Dockerfile, .env.example and the
//! binary's configuration loader against each other. tests/stack.rs runs the same topology for real.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use fleetwatch_config::Config;
use fleetwatch_testkit::{read, repo, run, text, yaml};
use secrecy::ExposeSecret;
use serde_json::Value;

const SERVICES: [&str; 4] = ["nginx", "api", "collector", "postgres"];

fn compose() -> Value {
    yaml(&read("docker-compose.yml"))
}

/// `.env.example`: the active `NAME=value` lines, and the commented-out `#NAME=value` examples.
fn env_example() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (mut active, mut commented) = (BTreeMap::new(), BTreeMap::new());
    for line in read(".env.example").lines() {
        let (target, line) = match line.strip_prefix('#') {
            Some(rest) => (&mut commented, rest),
            None => (&mut active, line),
        };
        if let Some((name, value)) = line.split_once('=')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            target.insert(name.to_string(), value.to_string());
        }
    }
    (active, commented)
}

/// Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
/// `$$`. Returns the text and the names it used.
fn interpolate(s: &str, env: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let (mut out, mut names) = (String::new(), Vec::new());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let inner_end = rest.find('}').unwrap_or_else(|| panic!("unclosed ${{ in {s:?}"));
        assert!(rest.starts_with('{'), "only ${{NAME}} forms are used: {s:?}");
        let inner = &rest[1..inner_end];
        rest = &rest[inner_end + 1..];
        let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let (name, op) = inner.split_at(name_end);
        names.push(name.to_string());
        let value = env.get(name).filter(|v| !v.is_empty());
        let resolved = match op {
            "" => value.cloned().unwrap_or_default(),
            _ if op.starts_with(":-") => value.cloned().unwrap_or_else(|| op[2..].to_string()),
            _ if op.starts_with(":?") => value.cloned().unwrap_or_else(|| panic!("{name} is required: {}", &op[2..])),
            _ => panic!("unsupported interpolation {inner:?}"),
        };
        out.push_str(&resolved);
    }
    out.push_str(rest);
    (out, names)
}

/// Every string in the compose file, interpolated with `.env.example`'s values.
fn resolved(v: &Value, env: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(interpolate(s, env).0),
        Value::Array(a) => Value::Array(a.iter().map(|x| resolved(x, env)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), resolved(x, env))).collect()),
        other => other.clone(),
    }
}

fn all_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| all_strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            all_strings(x, out)
        }),
        _ => {}
    }
}

fn env_map(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// The port of a listen address (`0.0.0.0:8080`, `127.0.0.1:80`, `8080`).
fn port_of(listen: &str) -> u16 {
    listen.rsplit(':').next().unwrap().parse().unwrap_or_else(|e| panic!("{listen:?}: {e}"))
}

/// `http://127.0.0.1:8080/readyz` in a healthcheck → (8080, "/readyz").
fn health_url(test: &[String]) -> (u16, String) {
    let url = test.iter().find(|a| a.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {test:?}"));
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("{url}: checks loopback"));
    let (port, path) = rest.split_at(rest.find('/').unwrap());
    (port.parse().unwrap(), path.to_string())
}

/// The Dockerfile's stages: name → instructions (continuation lines joined).
fn dockerfile() -> BTreeMap<String, Vec<String>> {
    let mut stages = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut joined = String::new();
    for line in read("Dockerfile").lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        joined.push_str(line.trim_end().trim_end_matches('\\'));
        if line.trim_end().ends_with('\\') {
            joined.push(' ');
            continue;
        }
        let instruction = std::mem::take(&mut joined);
        if let Some(from) = instruction.strip_prefix("FROM ") {
            let name = from.split(" AS ").nth(1).unwrap_or_else(|| panic!("unnamed stage: {from}"));
            current = Some(name.trim().to_string());
            stages.insert(name.trim().to_string(), Vec::new());
        } else if let Some(stage) = &current {
            stages.get_mut(stage).unwrap().push(instruction);
        }
    }
    stages
}

/// `ENV A=1 B=2` of a stage.
fn dockerfile_env(stage: &[String]) -> BTreeMap<String, String> {
    stage
        .iter()
        .filter_map(|i| i.strip_prefix("ENV "))
        .flat_map(|e| e.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn instruction<'a>(stage: &'a [String], name: &str) -> Vec<&'a str> {
    stage.iter().filter_map(|i| i.strip_prefix(name).map(str::trim)).collect()
}

/// `render.sh --vars`: the variables the templates may use, with their defaults.
fn render_vars() -> BTreeMap<String, String> {
    let out = run(Command::new(repo().join("nginx/render.sh")).arg("--vars"));
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_once('=').map_or((l.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn render(out_dir: &Path, env: &BTreeMap<String, String>) -> std::process::Output {
    let mut cmd = Command::new(repo().join("nginx/render.sh"));
    cmd.arg(out_dir);
    for name in render_vars().keys() {
        cmd.env_remove(name);
    }
    run(cmd.envs(env))
}

#[test]
fn the_compose_file_matches_the_compose_spec() {
    let check = |path: &Path| {
        run(Command::new("python3")
            .args(["-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"])
            .arg(path))
    };
    let out = check(&repo().join("docker-compose.yml"));
    assert!(out.status.success(), "docker-compose.yml is not a valid compose file: {}", text(&out));

    // The validator is real: a misspelled key in the shared block is caught.
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("docker-compose.yml");
    std::fs::write(&broken, read("docker-compose.yml").replacen("  read_only: true", "  readonly: true", 1)).unwrap();
    let out = check(&broken);
    assert!(!out.status.success() && text(&out).contains("readonly"), "{}", text(&out));
}

#[test]
fn every_service_is_hardened_limited_and_checked() {
    let (env, _) = env_example();
    let c = resolved(&compose(), &env);
    let services = c["services"].as_object().unwrap();
    assert_eq!(services.keys().map(String::as_str).collect::<BTreeSet<_>>(), SERVICES.into_iter().collect());
    for (name, s) in services {
        assert!(["unless-stopped", "always"].contains(&s["restart"].as_str().unwrap_or("")), "{name}: restart policy");
        assert_eq!(s["read_only"], true, "{name}: read-only root filesystem");
        assert!(strings(&s["security_opt"]).contains(&"no-new-privileges:true".to_string()), "{name}");
        assert_eq!(strings(&s["cap_drop"]), ["ALL"], "{name}: no capabilities");
        let user = s["user"].as_str().unwrap_or_else(|| panic!("{name}: no user"));
        let uid = user.split(':').next().unwrap();
        assert!(uid != "0" && uid != "root" && !uid.is_empty(), "{name}: runs as {user}");
        let test = strings(&s["healthcheck"]["test"]);
        assert!(test.len() >= 2 && ["CMD", "CMD-SHELL"].contains(&test[0].as_str()), "{name}: healthcheck {test:?}");
        let limits = &s["deploy"]["resources"]["limits"];
        assert!(limits["cpus"].is_string() && limits["memory"].is_string(), "{name}: resource limits {limits}");
        assert!(s["logging"]["options"]["max-size"].is_string(), "{name}: log rotation");
        assert!(s["stop_grace_period"].is_string(), "{name}: stop_grace_period");
        // Writable places are tmpfs or named volumes, never the image.
        assert!(!strings(&s["tmpfs"]).is_empty(), "{name}: tmpfs for /tmp");
    }
    // The collector finishes its cycle on SIGTERM: give it time (a cycle can retry for ~2 minutes).
    let grace = services["collector"]["stop_grace_period"].as_str().unwrap();
    assert!(grace.trim_end_matches('s').parse::<u32>().unwrap() >= 60, "collector stop_grace_period {grace}");
    // Only nginx is reachable from outside; PostgreSQL sits on an internal network only.
    for (name, s) in services {
        assert_eq!(s.get("ports").is_some(), name == "nginx", "{name}: published ports");
    }
    let networks = &c["networks"];
    assert_eq!(networks["data"]["internal"], true);
    assert_eq!(strings(&services["postgres"]["networks"]), ["data"]);
    assert!(!strings(&services["nginx"]["networks"]).contains(&"data".to_string()), "nginx never reaches the database");
    let collector_nets = strings(&services["collector"]["networks"]);
    assert!(collector_nets.iter().any(|n| networks[n]["internal"] != true), "the collector must reach the servers");
}

#[test]
fn compose_nginx_dockerfile_and_the_binary_agree() {
    let (env_example, _) = env_example();
    let c = resolved(&compose(), &env_example);
    let s = &c["services"];
    let stages = dockerfile();
    let runtime = &stages["runtime"];
    let web = &stages["web"];

    // One image, two commands; the build targets exist.
    assert_eq!(s["api"]["image"], s["collector"]["image"]);
    assert_eq!(s["api"]["build"], s["collector"]["build"]);
    assert_eq!(strings(&s["api"]["command"]), ["api"]);
    assert_eq!(strings(&s["collector"]["command"]), ["collector"]);
    for (service, target) in [("api", "runtime"), ("collector", "runtime"), ("nginx", "web")] {
        assert_eq!(s[service]["build"]["target"], target, "{service}");
        assert!(stages.contains_key(target), "Dockerfile has no stage {target}");
    }
    assert_eq!(instruction(runtime, "ENTRYPOINT"), [r#"["fleetwatch"]"#]);

    // The api listens where nginx proxies to, and where its healthchecks look.
    let app_env = env_map(&s["api"]);
    assert_eq!(app_env, env_map(&s["collector"]));
    let api_port = port_of(&app_env["FLEETWATCH_LISTEN"]);
    let nginx_env = env_map(&s["nginx"]);
    assert_eq!(nginx_env["FLEETWATCH_API_UPSTREAM"], format!("api:{api_port}"), "nginx's upstream is the api service");
    assert_eq!(health_url(&strings(&s["api"]["healthcheck"]["test"])), (api_port, "/readyz".into()));
    let runtime_env = dockerfile_env(runtime);
    assert_eq!(port_of(&runtime_env["FLEETWATCH_LISTEN"]), api_port);
    assert!(instruction(runtime, "EXPOSE").contains(&api_port.to_string().as_str()));
    let image_health: Vec<String> = instruction(runtime, "HEALTHCHECK")[0]
        .split('"')
        .filter(|p| p.starts_with("http://"))
        .map(str::to_string)
        .collect();
    assert_eq!(health_url(&image_health), (api_port, "/healthz".into()));

    // nginx: every variable it is given is one render.sh knows; its ports are the published ones
    // and the healthcheck's; its certificate mount is NGINX_CERT_DIR; its web root is the build's.
    let vars = render_vars();
    for name in nginx_env.keys() {
        assert!(vars.contains_key(name), "nginx's {name} is not a render.sh variable: {vars:?}");
    }
    let nginx_http = port_of(&nginx_env["NGINX_LISTEN"]);
    let nginx_https = port_of(&nginx_env["NGINX_TLS_LISTEN"]);
    let published: BTreeSet<u16> = strings(&s["nginx"]["ports"]).iter().map(|p| port_of(p)).collect();
    assert_eq!(published, [nginx_http, nginx_https].into_iter().collect());
    assert_eq!(health_url(&strings(&s["nginx"]["healthcheck"]["test"])), (nginx_http, "/nginx-healthz".into()));
    let web_health: Vec<String> = instruction(web, "HEALTHCHECK")[0]
        .split('"')
        .filter(|p| p.starts_with("http://"))
        .map(str::to_string)
        .collect();
    assert_eq!(health_url(&web_health), (nginx_http, "/nginx-healthz".into()));
    assert_eq!(port_of(&vars["NGINX_LISTEN"]), nginx_http, "the image's default is compose's");
    assert_eq!(port_of(&vars["NGINX_TLS_LISTEN"]), nginx_https);
    let expose = instruction(web, "EXPOSE")[0].to_string();
    assert_eq!(expose, format!("{nginx_http} {nginx_https}"));
    let cert_mount = strings(&s["nginx"]["volumes"]).into_iter().find(|v| v.contains(&nginx_env["NGINX_CERT_DIR"]));
    assert!(
        cert_mount.is_some_and(|m| m.ends_with(&format!("{}:ro", nginx_env["NGINX_CERT_DIR"]))),
        "certs mounted ro"
    );
    let web_env = dockerfile_env(web);
    let web_root = &web_env["NGINX_WEB_ROOT"];
    assert_eq!(&vars["NGINX_WEB_ROOT"], web_root);
    assert_eq!(&runtime_env["FLEETWATCH_WEB_DIR"], web_root, "api and nginx serve the same build");
    for stage in [web, runtime] {
        assert!(
            instruction(stage, "COPY").contains(&format!("--from=build /out/web {web_root}").as_str()),
            "{stage:?}"
        );
    }
    assert_eq!(web_env["FLEETWATCH_API_UPSTREAM"], nginx_env["FLEETWATCH_API_UPSTREAM"]);
    assert_eq!(instruction(web, "ENTRYPOINT"), [r#"["/usr/share/fleetwatch/nginx/render.sh", "--run", "/tmp/nginx"]"#]);
    assert!(strings(&s["nginx"]["tmpfs"]).contains(&"/tmp".to_string()), "render.sh writes /tmp/nginx");

    // The templates use only render.sh's variables.
    let mut templates = vec![];
    for dir in ["nginx/templates", "nginx/templates/servers"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "template") {
                templates.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    for t in &templates {
        for piece in t.split("${").skip(1) {
            let name = &piece[..piece.find('}').unwrap()];
            assert!(vars.contains_key(name), "a template uses ${{{name}}}, which render.sh does not set");
        }
    }

    // The compose nginx config, rendered from the nginx service's environment as the container
    // does, passes `nginx -t` on Debian's nginx, without and with TLS.
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    let out = run(Command::new(repo().join("nginx/make-cert.sh")).arg(&certs));
    assert!(out.status.success(), "{}", text(&out));
    for tls in ["off", "on"] {
        let mut env = nginx_env.clone();
        env.insert("NGINX_TLS".into(), tls.into());
        env.insert("NGINX_CERT_DIR".into(), certs.display().to_string()); // the mount, here
        let dir = tmp.path().join(format!("nginx-{tls}"));
        let out = render(&dir, &env);
        assert!(out.status.success(), "render.sh with compose's environment: {}", text(&out));
        let app = std::fs::read_to_string(dir.join("app.conf")).unwrap();
        assert!(app.contains(&format!("root {web_root};")) && app.contains("location = /nginx-healthz"), "{app}");
        let proxy = std::fs::read_to_string(dir.join("proxy.conf")).unwrap();
        assert!(proxy.contains(&format!("http://api:{api_port};")), "{proxy}");
        let nginx_conf = std::fs::read_to_string(dir.join("nginx.conf")).unwrap();
        assert!(nginx_conf.contains("resolver 127.0.0.11 "), "Docker's DNS re-resolves the api: {nginx_conf}");
        assert!(nginx_conf.contains(&format!("listen {nginx_http};")));
        assert_eq!(dir.join("servers/tls.conf").exists(), tls == "on");
        let out = run(Command::new("nginx")
            .arg("-t")
            .arg("-p")
            .arg(format!("{}/", dir.display()))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-e", "stderr"]));
        assert!(out.status.success(), "nginx -t (TLS {tls}): {}", text(&out));
    }

    // PostgreSQL: data on the named volume; the apps reach it by its service name.
    let pg = &s["postgres"];
    let pg_env = env_map(pg);
    assert!(strings(&pg["volumes"]).contains(&"pgdata:/var/lib/postgresql/data".to_string()));
    assert!(c["volumes"].as_object().unwrap().contains_key("pgdata"));
    assert!(pg_env["PGDATA"].starts_with("/var/lib/postgresql/data/"), "PGDATA is on the volume");
    assert_eq!(app_env["POSTGRES_HOST"], "postgres");
    assert_eq!(app_env["POSTGRES_PORT"], "5432");
    let health = strings(&pg["healthcheck"]["test"]).join(" ");
    assert!(health.contains("pg_isready -h 127.0.0.1"), "TCP readiness, not the init socket: {health}");
    for service in ["api", "collector"] {
        assert_eq!(strings(&s[service]["env_file"]), [".env"], "{service} gets .env (SERVER<n>_*, POSTGRES_*)");
        assert_eq!(s[service]["depends_on"]["postgres"]["condition"], "service_healthy");
    }
    assert_eq!(s["nginx"]["depends_on"]["api"]["condition"], "service_healthy");

    // Mounts: config at the image's WORKDIR (./fleetwatch.toml), SSH keys in the collector only,
    // secrets at /run/secrets; every bind mount read-only.
    let workdir = instruction(runtime, "WORKDIR")[0].to_string();
    for service in ["api", "collector"] {
        let volumes = strings(&s[service]["volumes"]);
        assert!(volumes.iter().all(|v| v.ends_with(":ro")), "{service}: {volumes:?}");
        assert!(volumes.iter().any(|v| v.ends_with(&format!(":{workdir}:ro"))), "{service}: config at {workdir}");
        assert!(volumes.iter().any(|v| v.ends_with(":/run/secrets:ro")), "{service}: secrets");
        let keys = volumes.iter().any(|v| v.ends_with(":/keys:ro"));
        assert_eq!(keys, service == "collector", "{service}: SSH keys");
    }
    assert!(strings(&pg["volumes"]).iter().any(|v| v.ends_with(":/run/secrets:ro")));
    // No mount point inside another mount: Docker cannot create it in a read-only one.
    for service in SERVICES {
        let targets: Vec<String> = strings(&s[service]["volumes"])
            .iter()
            .map(|v| v.trim_end_matches(":ro").rsplit(':').next().unwrap().to_string())
            .chain(strings(&s[service]["tmpfs"]))
            .collect();
        for a in &targets {
            for b in &targets {
                assert!(a == b || !b.starts_with(&format!("{a}/")), "{service}: {b} is mounted inside {a}");
            }
        }
    }

    // The binary reads this environment (image ENV < .env < compose's environment) as intended.
    let mut env: BTreeMap<String, String> = runtime_env.clone();
    env.extend(env_example.clone());
    env.extend(app_env.clone());
    let config = Config::load(None, &env).expect("the stack's environment is a valid configuration");
    let url = config.database_url.expose_secret().to_string();
    let password = &env_example["POSTGRES_PASSWORD"];
    assert_eq!(url, format!("postgres://fleetwatch:{password}@postgres:5432/fleetwatch"));
    assert_eq!(config.listen.port(), api_port);
    assert_eq!(config.web_dir, Path::new(web_root));
}

#[test]
fn env_example_documents_every_variable_and_its_examples_are_valid() {
    let (active, commented) = env_example();
    let documented: BTreeSet<&String> = active.keys().chain(commented.keys()).collect();
    let mut texts = vec![];
    all_strings(&compose(), &mut texts);
    for t in &texts {
        for name in interpolate(t, &active).1 {
            assert!(
                documented.contains(&name),
                ".env.example does not document ${{{name}}} (used by docker-compose.yml)"
            );
        }
    }
    let example = read(".env.example");
    for suffix in [
        "NAME",
        "HOST",
        "IP",
        "PORT",
        "USERNAME",
        "PASSWORD",
        "PASSWORD_FILE",
        "KEY",
        "KEY_PASSPHRASE",
        "HOST_KEY",
        "TAGS",
    ] {
        assert!(example.contains(&format!("SERVER<n>_{suffix} ")), ".env.example does not document SERVER<n>_{suffix}");
    }
    for name in ["DATABASE_URL", "POSTGRES_PASSWORD_FILE", "RUST_LOG", "FLEETWATCH_LOG_FORMAT"] {
        assert!(example.contains(name), ".env.example does not mention {name}");
    }

    // As shipped: no server, so the built-in local one; the example servers, uncommented, load.
    let config = Config::load(None, &active).unwrap();
    assert_eq!(config.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["local"]);
    let tmp = tempfile::tempdir().unwrap();
    let mut env = active.clone();
    for (name, value) in &commented {
        let value = match value.strip_prefix("/run/secrets/") {
            Some(file) => {
                let path = tmp.path().join(file);
                std::fs::write(&path, "example-password\n").unwrap();
                path.display().to_string()
            }
            None => value.clone(),
        };
        if name.starts_with("SERVER") {
            env.insert(name.clone(), value);
        }
    }
    let config = Config::load(None, &env).expect("the example servers of .env.example are valid");
    let names: Vec<_> = config.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web-1", "db-1"]);
    for s in &config.servers {
        assert!(s.ssh.is_some(), "{}: an SSH server", s.name);
    }
    // The example key path lies in the collector's key mount.
    assert!(commented["SERVER1_KEY"].starts_with("/keys/"));
}

#[test]
fn render_refuses_what_would_break_nginx() {
    let tmp = tempfile::tempdir().unwrap();
    let base: BTreeMap<String, String> = [
        ("FLEETWATCH_API_UPSTREAM", "127.0.0.1:8080"),
        ("NGINX_WEB_ROOT", "/nonexistent"),
        ("NGINX_CERT_DIR", "/nonexistent"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let out = render(&tmp.path().join("ok"), &base);
    assert!(out.status.success(), "{}", text(&out));
    for (name, value, says) in [
        ("FLEETWATCH_API_UPSTREAM", "", "FLEETWATCH_API_UPSTREAM is required"),
        ("NGINX_LISTEN", "80; include /etc/passwd", "not allowed"),
        ("NGINX_SERVER_NAME", "x\"y", "not allowed"),
        ("NGINX_TLS", "maybe", "expected on or off"),
        ("NGINX_TLS", "on", "/nonexistent/fullchain.pem is missing"),
    ] {
        let mut env = base.clone();
        env.insert(name.into(), value.into());
        let out = render(&tmp.path().join("bad"), &env);
        assert!(!out.status.success() && text(&out).contains(says), "{name}={value:?}: {}", text(&out));
    }
}

#[test]
fn the_build_context_keeps_secrets_and_build_output_out() {
    let ignore = read(".dockerignore");
    let lines: BTreeSet<&str> = ignore.lines().map(str::trim).collect();
    for entry in [".git", "target", "dist", ".env", "keys", "secrets", "config", "nginx/certs", "frontend/node_modules"]
    {
        assert!(lines.contains(entry), ".dockerignore lacks {entry}");
    }
    let stages = dockerfile();
    let build = stages["build"].join("\n");
    for needed in [
        "rustup target add wasm32-unknown-unknown",
        ".ci/wasm-bindgen.sh",
        "cargo build --release --locked --bin fleetwatch",
        "frontend/build.sh /out/web",
    ] {
        assert!(build.contains(needed), "the build stage lacks {needed:?}");
    }
    for stage in ["runtime", "web"] {
        let user = instruction(&stages[stage], "USER");
        assert_eq!(user, ["10001:10001"], "{stage} runs as a non-root user");
        assert_eq!(instruction(&stages[stage], "HEALTHCHECK").len(), 1, "{stage}: HEALTHCHECK");
    }
}
