//! The API contract (`GET /api/openapi.json`): an OpenAPI 3.1 document that covers every route
//! of the one route table (`src/router.rs`, read as text here, so a route added without its
//! annotation fails this test), with the JSON error body and both auth schemes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use fleetwatch_api::{AppState, AuthSettings};
use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;
use serde_json::Value;

mod common;
use common::{Api, meta};

/// `(METHOD, path)` of every route in `src/router.rs`: those before the dashboard's files are
/// nested under `/api`, the rest are served at the root.
fn route_table() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/router.rs")).unwrap();
    let (api, root) = source.split_once("let index =").expect("the route table ends the /api part before `let index`");
    let mut routes = BTreeSet::new();
    for (part, prefix) in [(api, "/api"), (root, "")] {
        for line in part.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
            let rest = &line[".route(\"".len()..];
            let (path, handlers) = rest.split_once('"').unwrap();
            // `push(&state)` is the push endpoints' POST with its own body limit (`router::push`).
            let handlers = handlers.replace("push(&state)", "post(ingest::push)");
            let methods: Vec<&str> = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| handlers.contains(&format!("{m}(")))
                .collect();
            assert!(!methods.is_empty(), "no method on {line}");
            for m in methods {
                routes.insert((m.to_uppercase(), format!("{prefix}{path}")));
            }
        }
    }
    routes
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn collect_refs(v: &Value, refs: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// The API on its own port and SQLite file; `required`: login asked (no user yet: setup mode).
async fn start_with(required: bool) -> (Api, tempfile::TempDir) {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", db.path().join("db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    let state =
        AppState::new(store, vec![meta("web-1", &["web"])], Thresholds::default(), Duration::from_secs(3600), 30)
            .with_auth(AuthSettings { required, ..AuthSettings::default() });
    (Api::serve(state, web).await, db)
}

async fn start() -> (Api, tempfile::TempDir) {
    start_with(false).await
}

#[tokio::test]
async fn the_document_covers_every_route_of_the_route_table() {
    let routes = route_table();
    assert!(routes.len() > 40, "the route table was not read: {routes:?}");
    let (api, _db) = start().await;
    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    assert!(doc.is_object(), "not a JSON document: {doc}");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);

    let ops = documented(&doc);
    let missing: Vec<_> = routes.difference(&ops).collect();
    assert!(missing.is_empty(), "routes without documentation: {missing:?}");
    let extra: Vec<_> = ops.difference(&routes).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");

    // Every operation answers the error body, and has a unique id.
    let mut ids = BTreeSet::new();
    for (method, path) in &ops {
        let op = &doc["paths"][path][method.to_lowercase()];
        assert_eq!(
            op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{method} {path}"
        );
        assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "{method} {path}: operationId repeated");
        // Each `{param}` of the path is described.
        let names: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        let wanted: BTreeSet<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        assert_eq!(names, wanted, "{method} {path}: path parameters");
    }
    // Every reference resolves (a schema only a parameter names must be registered too).
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "{refs:?}");
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(doc["components"]["schemas"].get(name).is_some(), "unresolvable reference {r}");
    }
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["success", "error", "details"]), "{error}");

    // Auth: a token or the session cookie by default; health and login need neither.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    assert_eq!(
        (schemes["session"]["in"].as_str(), schemes["session"]["name"].as_str()),
        (Some("cookie"), Some("fleetwatch_session"))
    );
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}, {"session": []}]));
    assert_eq!(doc["paths"]["/api/auth/login"]["post"]["security"], serde_json::json!([{}]));
    assert!(doc["paths"]["/api/servers"]["get"].get("security").is_none(), "the default applies");
}

#[tokio::test]
async fn the_document_is_served_as_json_with_the_code_s_bounds() {
    let (api, _db) = start().await;
    let (status, ctype, body) = common::bytes(&api, "/api/openapi.json").await;
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let doc: Value = serde_json::from_slice(&body).unwrap();
    // A parameter's schema comes from the code: `max_points` is bounded as the handler checks it.
    let range = &doc["paths"]["/api/servers/{server_name}/metrics/range"]["get"]["parameters"];
    let max_points = range.as_array().unwrap().iter().find(|p| p["name"] == "max_points").unwrap();
    assert_eq!(
        (max_points["schema"]["minimum"].as_u64(), max_points["schema"]["maximum"].as_u64()),
        (Some(1), Some(10000))
    );
}

#[tokio::test]
async fn the_document_is_public_where_login_is_asked() {
    let (api, _db) = start_with(true).await;
    assert_eq!(api.get("/api/servers").await.0, 401, "login is asked");
    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    assert!(doc["paths"].as_object().is_some_and(|p| p.contains_key("/api/servers")), "{doc}");
}
