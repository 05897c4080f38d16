//! deploy/k8s, offline: every manifest against the Kubernetes schemas (kubernetes-validate, strict),
//! and the manifests against each other and the binary (selectors, ports, probes, references,
//! the configuration they give `fleetwatch`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use fleetwatch_config::Config;
use fleetwatch_testkit::{read, repo, run, text, yaml, yaml_docs};
use serde_json::Value;

/// The oldest Kubernetes the manifests promise to work on; the newest the validator knows is
/// checked too.
const OLDEST_KUBERNETES: &str = "1.30.0";

fn dir() -> PathBuf {
    repo().join("deploy/k8s")
}

/// The resource files (everything but kustomization.yaml).
fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    files
}

fn resources() -> Vec<Value> {
    manifest_files().iter().flat_map(|f| yaml_docs(&std::fs::read_to_string(f).unwrap())).collect()
}

fn find<'a>(all: &'a [Value], kind: &str, name: &str) -> &'a Value {
    all.iter()
        .find(|r| r["kind"] == kind && r["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/k8s"))
}

fn validate(files: &[PathBuf], version: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "kubernetes_validate", "--strict"]);
    if let Some(v) = version {
        cmd.args(["-k", v]);
    }
    run(cmd.args(files))
}

#[test]
fn the_manifests_pass_the_kubernetes_schemas() {
    let files = manifest_files();
    assert!(files.len() >= 6, "{files:?}");
    for version in [Some(OLDEST_KUBERNETES), None] {
        let out = validate(&files, version);
        assert!(out.status.success(), "kubernetes-validate ({version:?}): {}", text(&out));
        assert!(!text(&out).contains("ERROR"), "{}", text(&out));
    }
}

#[test]
fn the_validator_rejects_a_broken_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let api = read("deploy/k8s/api.yaml");
    for (what, broken) in [
        ("a port name as containerPort", api.replacen("containerPort: 8080", "containerPort: http", 1)),
        (
            "an unknown field",
            api.replacen("      automountServiceAccountToken: false", "      automountServiceAcountToken: false", 1),
        ),
    ] {
        let path = tmp.path().join("api.yaml");
        std::fs::write(&path, broken).unwrap();
        let out = validate(&[path], Some(OLDEST_KUBERNETES));
        assert!(!out.status.success(), "{what} passed validation: {}", text(&out));
    }
}

#[test]
fn the_manifests_are_consistent_with_each_other_and_the_binary() {
    let all = resources();

    // kustomization.yaml lists every resource file but the secret example.
    let kustomization = yaml(&read("deploy/k8s/kustomization.yaml"));
    let listed: BTreeSet<String> =
        kustomization["resources"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let files: BTreeSet<String> = manifest_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .filter(|f| f != "secret.example.yaml")
        .collect();
    assert_eq!(listed, files);

    let env = find(&all, "ConfigMap", "fleetwatch-env")["data"].clone();
    let api = find(&all, "Deployment", "fleetwatch-api");
    let collector = find(&all, "Deployment", "fleetwatch-collector");
    let postgres = find(&all, "StatefulSet", "postgres");
    let container = |w: &Value| w["spec"]["template"]["spec"]["containers"][0].clone();
    let (api_c, collector_c, pg_c) = (container(api), container(collector), container(postgres));

    // One image, two commands; collectors share the fleet through leases: two replicas.
    assert_eq!(api_c["image"], collector_c["image"]);
    assert_eq!(api_c["args"], serde_json::json!(["api"]));
    assert_eq!(collector_c["args"], serde_json::json!(["collector"]));
    assert_eq!(collector["spec"]["replicas"], 2);
    assert!(collector["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as_u64().unwrap() >= 60);

    // The api: its port is FLEETWATCH_LISTEN's; liveness on /healthz, readiness on /readyz.
    let listen_port: u64 = env["FLEETWATCH_LISTEN"].as_str().unwrap().rsplit(':').next().unwrap().parse().unwrap();
    let http = &api_c["ports"][0];
    assert_eq!((http["name"].as_str(), http["containerPort"].as_u64()), (Some("http"), Some(listen_port)));
    assert_eq!(api_c["livenessProbe"]["httpGet"], serde_json::json!({"path": "/healthz", "port": "http"}));
    assert_eq!(api_c["readinessProbe"]["httpGet"], serde_json::json!({"path": "/readyz", "port": "http"}));

    // Services select pods that exist, on ports those pods name.
    for service in all.iter().filter(|r| r["kind"] == "Service") {
        let selector = service["spec"]["selector"].as_object().unwrap();
        let name = service["metadata"]["name"].as_str().unwrap();
        let pods: Vec<&Value> = all
            .iter()
            .filter(|r| ["Deployment", "StatefulSet"].contains(&r["kind"].as_str().unwrap()))
            .filter(|w| selector.iter().all(|(k, v)| &w["spec"]["template"]["metadata"]["labels"][k] == v))
            .collect();
        assert_eq!(pods.len(), 1, "Service {name} selects {} workloads", pods.len());
        for port in service["spec"]["ports"].as_array().unwrap() {
            let target = port["targetPort"].as_str().unwrap();
            let named = pods[0]["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .any(|p| p["name"] == target);
            assert!(named, "Service {name}: no container port named {target}");
        }
    }
    // Workload selectors match their own pod labels.
    for w in all.iter().filter(|r| ["Deployment", "StatefulSet"].contains(&r["kind"].as_str().unwrap())) {
        let labels = &w["spec"]["template"]["metadata"]["labels"];
        for (k, v) in w["spec"]["selector"]["matchLabels"].as_object().unwrap() {
            assert_eq!(&labels[k], v, "{}: selector {k}", w["metadata"]["name"]);
        }
    }

    // PostgreSQL: the host the apps use is its Service, governing its StatefulSet.
    let pg_service = find(&all, "Service", env["POSTGRES_HOST"].as_str().unwrap());
    assert_eq!(postgres["spec"]["serviceName"], pg_service["metadata"]["name"]);
    assert_eq!(pg_c["ports"][0]["containerPort"].as_u64().unwrap().to_string(), env["POSTGRES_PORT"].as_str().unwrap());
    let pgdata = pg_c["env"].as_array().unwrap().iter().find(|e| e["name"] == "PGDATA").unwrap()["value"].clone();
    let data_mount = pg_c["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "data").unwrap();
    assert!(pgdata.as_str().unwrap().starts_with(data_mount["mountPath"].as_str().unwrap()), "PGDATA on the volume");
    assert_eq!(postgres["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "data");

    // Every ConfigMap and Secret key referenced exists (Secrets: in secret.example.yaml).
    let mut refs = Vec::new();
    collect_refs(&Value::Array(all.clone()), &mut refs);
    assert!(refs.len() >= 5, "{refs:?}");
    for (kind, name, key) in refs {
        let r = find(&all, kind, &name);
        if let Some(key) = key {
            let data = if kind == "Secret" { &r["stringData"] } else { &r["data"] };
            assert!(data.get(&key).is_some(), "{kind} {name} has no key {key}");
        }
    }

    // Hardened pods: non-root, read-only root filesystem, no privilege escalation, no capabilities,
    // limits, no service account token.
    for w in all.iter().filter(|r| ["Deployment", "StatefulSet"].contains(&r["kind"].as_str().unwrap())) {
        let name = w["metadata"]["name"].as_str().unwrap();
        let pod = &w["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{name}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        for c in pod["containers"].as_array().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]), "{name}");
            assert!(c["resources"]["limits"]["memory"].is_string(), "{name}: memory limit");
            let mounts: Vec<&str> =
                c["volumeMounts"].as_array().unwrap().iter().map(|m| m["mountPath"].as_str().unwrap()).collect();
            assert!(mounts.contains(&"/tmp"), "{name}: a writable /tmp");
            // No mount point inside another mount (it cannot be created in a read-only volume).
            for a in &mounts {
                for b in &mounts {
                    assert!(a == b || !b.starts_with(&format!("{a}/")), "{name}: {b} is mounted inside {a}");
                }
            }
        }
    }
    let keys_mount = collector_c["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "ssh-keys").unwrap();
    assert_eq!(keys_mount["readOnly"], true);
    assert!(api_c["volumeMounts"].as_array().unwrap().iter().all(|m| m["name"] != "ssh-keys"), "keys: collector only");

    // What the binary makes of it: the ConfigMap's fleetwatch.toml with the ConfigMap's and the
    // Secret's environment is a valid configuration, on the right database and port.
    let toml = find(&all, "ConfigMap", "fleetwatch-config")["data"]["fleetwatch.toml"].as_str().unwrap().to_string();
    let mut process_env: BTreeMap<String, String> =
        env.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    process_env.insert("POSTGRES_PASSWORD".into(), "from-the-secret".into());
    let config = Config::from_toml(&toml, &process_env).expect("the ConfigMap's fleetwatch.toml is valid");
    assert!(!config.servers.is_empty());
    assert_eq!(u64::from(config.listen.port()), listen_port);
    let url = secrecy::ExposeSecret::expose_secret(&config.database_url).to_string();
    assert_eq!(url, "postgres://fleetwatch:from-the-secret@postgres:5432/fleetwatch");
    let mounted = api_c["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "config").unwrap();
    assert_eq!(mounted["mountPath"], "/etc/fleetwatch", "the image's WORKDIR: ./fleetwatch.toml");
    for s in &config.servers {
        if let Some(ssh) = &s.ssh
            && let fleetwatch_config::Credentials::Key { path, .. } = &ssh.credentials
        {
            assert!(
                path.starts_with(Path::new(keys_mount["mountPath"].as_str().unwrap())),
                "{}: key in the mount",
                s.name
            );
        }
    }
}

/// (kind, name, key) of every configMapRef, configMapKeyRef, secretKeyRef, configMap and secret
/// volume.
fn collect_refs(v: &Value, out: &mut Vec<(&'static str, String, Option<String>)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let name = || x["name"].as_str().unwrap().to_string();
                match k.as_str() {
                    "configMapKeyRef" => out.push(("ConfigMap", name(), x["key"].as_str().map(str::to_string))),
                    "secretKeyRef" => out.push(("Secret", name(), x["key"].as_str().map(str::to_string))),
                    "configMapRef" | "configMap" => out.push(("ConfigMap", name(), None)),
                    "secret" if x.get("secretName").is_some() => {
                        out.push(("Secret", x["secretName"].as_str().unwrap().to_string(), None))
                    }
                    _ => {}
                }
                collect_refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
