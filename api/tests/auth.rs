//! Logins, roles, tokens and the safe surface, over a real listener with real cookies, against a
//! SQLite file and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use fleetwatch_api::{AppState, AuthSettings};
use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;
use fleetwatch_store::auth::{Role, UserRecord, hash_password};
use fleetwatch_testkit::PgTestDb;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::meta;

const INDEX: &str = "<html><head><script>document.documentElement.dataset.theme='dark';</script></head></html>";

struct Site {
    base: String,
    client: reqwest::Client,
    state: AppState,
    _dir: tempfile::TempDir,
}

/// The API on a free loopback port; `required` as the binary sets it for a non-loopback
/// listener or `mode = "required"`.
async fn start(store: Arc<dyn Store>, required: bool) -> Site {
    store.migrate().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    let settings = AuthSettings { required, ..AuthSettings::default() };
    let state =
        AppState::new(store, vec![meta("web-1", &["web"])], Thresholds::default(), Duration::from_secs(3600), 30)
            .with_auth(settings);
    state.start_events(Duration::from_millis(50));
    let app = fleetwatch_api::router(state.clone(), dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { fleetwatch_api::serve(listener, app, std::future::pending()).await.unwrap() });
    Site { base, client: reqwest::Client::new(), state, _dir: dir }
}

/// One request: `cookie` as the browser would send it, `csrf` the dashboard's header, extra
/// headers, a JSON body. Status, headers, body as JSON (or text as a JSON string).
struct Req<'a> {
    method: Method,
    path: &'a str,
    cookie: Option<&'a str>,
    csrf: bool,
    headers: Vec<(&'static str, &'a str)>,
    body: Option<Value>,
}

fn req(method: Method, path: &str) -> Req<'_> {
    Req { method, path, cookie: None, csrf: false, headers: Vec::new(), body: None }
}

impl<'a> Req<'a> {
    fn cookie(mut self, c: &'a str) -> Self {
        self.cookie = Some(c);
        self
    }
    fn csrf(mut self) -> Self {
        self.csrf = true;
        self
    }
    fn header(mut self, name: &'static str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    async fn send(self, site: &Site) -> (StatusCode, HeaderMap, Value) {
        let mut r = site.client.request(self.method, format!("{}{}", site.base, self.path));
        if let Some(c) = self.cookie {
            r = r.header("cookie", c);
        }
        if self.csrf {
            r = r.header("x-fleetwatch-csrf", "1");
        }
        for (n, v) in self.headers {
            r = r.header(n, v);
        }
        if let Some(b) = self.body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// The `name=value` of the session cookie a response sets, and its attributes.
fn set_cookie(headers: &HeaderMap) -> (String, String) {
    let raw = headers.get("set-cookie").expect("a Set-Cookie header").to_str().unwrap().to_owned();
    let pair = raw.split(';').next().unwrap().trim().to_owned();
    (pair, raw)
}

async fn add_user(store: &dyn Store, name: &str, role: Role, password: &str) {
    let now = chrono::Utc::now();
    let user = UserRecord {
        name: name.into(),
        role,
        password_hash: hash_password(password).unwrap(),
        created: now,
        password_changed: now,
    };
    store.create_user(&user).await.unwrap();
}

async fn login(site: &Site, name: &str, password: &str) -> String {
    let (s, h, b) =
        req(Method::POST, "/api/auth/login").csrf().json(json!({"name": name, "password": password})).send(site).await;
    assert_eq!(s, 200, "{b}");
    set_cookie(&h).0
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["details"]["code"], code, "{body}");
}

#[tokio::test]
async fn loopback_without_users_stays_open_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("db").display())).await.unwrap());
    let site = start(store.clone(), false).await;
    let (s, _, me) = req(Method::GET, "/api/auth/me").send(&site).await;
    assert_eq!((s.as_u16(), me["auth"].as_str(), me["user"].is_null()), (200, Some("open"), true), "{me}");
    assert_eq!(req(Method::GET, "/api/servers").send(&site).await.0, 200);
    let silence = json!({"servers": ["web-1"], "end": "2099-01-01T00:00:00Z", "comment": "open"});
    let (s, _, b) = req(Method::POST, "/api/silences").json(silence).send(&site).await;
    assert_eq!(s, 201, "open mode: a change needs nothing: {b}");

    // Requests that arrive together share one look for users (not one query each)...
    let burst = futures::future::join_all((0..32).map(|_| req(Method::GET, "/api/servers").send(&site))).await;
    assert!(burst.iter().all(|(s, _, _)| *s == 200), "open while no user exists");

    // Once a user exists, login is asked there too, by every request that comes after (a
    // user added by another process, as `fleetwatch user add` does: straight into the store).
    add_user(store.as_ref(), "root", Role::Admin, "root password 1").await;
    let burst = futures::future::join_all((0..32).map(|_| req(Method::GET, "/api/servers").send(&site))).await;
    assert!(burst.iter().all(|(s, _, _)| *s == 401), "no request after the user came is let in");
    let (_, _, me) = req(Method::GET, "/api/auth/me").send(&site).await;
    assert_eq!(me["auth"], "required");
    let (s, h, b) = req(Method::GET, "/api/servers").send(&site).await;
    assert_eq!(s, 401);
    assert_error(&b, "UNAUTHORIZED");
    assert!(h.get("www-authenticate").is_some());
}

#[tokio::test]
async fn setup_link_makes_the_first_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("db").display())).await.unwrap());
    let site = start(store.clone(), true).await;
    let (_, _, me) = req(Method::GET, "/api/auth/me").send(&site).await;
    assert_eq!(me["auth"], "setup");
    for path in ["/api/servers", "/api/servers/metrics/latest", "/api/export/users.csv", "/metrics", "/api/auth/users"]
    {
        assert_eq!(req(Method::GET, path).send(&site).await.0, 401, "{path} before setup");
    }
    let (s, _, page) = req(Method::GET, "/setup?token=x").send(&site).await;
    assert_eq!(s, 200, "the setup page itself is served");
    assert!(page.as_str().unwrap().contains("<html>"));

    let link = site.state.auth().setup_link("http://mon.example/", Duration::from_secs(600)).await.unwrap().unwrap();
    let token = link.strip_prefix("http://mon.example/setup?token=").expect(&link).to_owned();
    let body = |token: &str, password: &str| json!({"token": token, "name": "root", "password": password});
    let (s, _, b) = req(Method::POST, "/api/auth/setup").json(body(&token, "long enough pw")).send(&site).await;
    assert_eq!(s, 403, "no CSRF header: {b}");
    let (s, _, _) = req(Method::POST, "/api/auth/setup").csrf().json(body("wrong", "long enough pw")).send(&site).await;
    assert_eq!(s, 401);
    let (s, _, b) = req(Method::POST, "/api/auth/setup").csrf().json(body(&token, "short")).send(&site).await;
    assert_eq!(s, 400, "{b}");
    let (s, h, b) = req(Method::POST, "/api/auth/setup").csrf().json(body(&token, "long enough pw")).send(&site).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!((b["user"]["name"].as_str(), b["user"]["role"].as_str()), (Some("root"), Some("admin")));
    let (cookie, _) = set_cookie(&h);
    assert_eq!(req(Method::GET, "/api/servers").cookie(&cookie).send(&site).await.0, 200, "logged in at once");
    let (s, _, _) = req(Method::POST, "/api/auth/setup").csrf().json(body(&token, "long enough pw")).send(&site).await;
    assert_eq!(s, 409, "setup is done");
    assert_eq!(store.user("root").await.unwrap().unwrap().role, Role::Admin);
}

/// Logins, cookies, roles, CSRF, password changes, tokens, the audit log.
async fn story(store: Arc<dyn Store>) {
    let site = start(store.clone(), true).await;
    add_user(store.as_ref(), "root", Role::Admin, "root password 1").await;
    add_user(store.as_ref(), "olga", Role::Operator, "operator password").await;
    add_user(store.as_ref(), "vic", Role::Viewer, "viewer password").await;

    // A wrong password, and an unknown name, get the same answer.
    for (name, pw) in [("root", "not the password"), ("nobody", "whatever pw")] {
        let (s, h, b) =
            req(Method::POST, "/api/auth/login").csrf().json(json!({"name": name, "password": pw})).send(&site).await;
        assert_eq!(s, 401);
        assert_eq!(b["error"], "wrong name or password");
        assert!(h.get("set-cookie").is_none());
    }
    // The session cookie: HttpOnly, SameSite=Strict; Secure when nginx says the client used HTTPS.
    let (s, h, _) = req(Method::POST, "/api/auth/login")
        .csrf()
        .json(json!({"name": "root", "password": "root password 1"}))
        .send(&site)
        .await;
    assert_eq!(s, 200);
    let (root, raw) = set_cookie(&h);
    assert!(root.starts_with("fleetwatch_session=") && root.len() > 60, "{root}");
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Strict") && !raw.contains("Secure"), "{raw}");
    let (_, h, _) = req(Method::POST, "/api/auth/login")
        .csrf()
        .header("x-forwarded-proto", "https")
        .json(json!({"name": "root", "password": "root password 1"}))
        .send(&site)
        .await;
    assert!(set_cookie(&h).1.ends_with("; Secure"), "behind an HTTPS proxy");

    let (s, _, me) = req(Method::GET, "/api/auth/me").cookie(&root).send(&site).await;
    assert_eq!(
        (s.as_u16(), me["user"]["name"].as_str(), me["user"]["role"].as_str()),
        (200, Some("root"), Some("admin"))
    );
    assert_eq!(req(Method::GET, "/api/servers").send(&site).await.0, 401, "no cookie");
    assert_eq!(req(Method::GET, "/api/servers").cookie("fleetwatch_session=forged").send(&site).await.0, 401);
    assert_eq!(req(Method::GET, "/api/servers").cookie(&root).send(&site).await.0, 200);

    // CSRF: a change with the cookie needs the header, and our Origin if one is sent.
    let silence = json!({"servers": ["web-1"], "end": "2099-01-01T00:00:00Z", "comment": "maintenance"});
    let (s, _, b) = req(Method::POST, "/api/silences").cookie(&root).json(silence.clone()).send(&site).await;
    assert_eq!(s, 403, "{b}");
    let host = site.base.trim_start_matches("http://").to_owned();
    let evil = req(Method::POST, "/api/silences").cookie(&root).csrf().header("origin", "https://evil.example");
    assert_eq!(evil.json(silence.clone()).send(&site).await.0, 403);
    let ours = format!("http://{host}");
    let (s, _, b) = req(Method::POST, "/api/silences")
        .cookie(&root)
        .csrf()
        .header("origin", &ours)
        .json(silence.clone())
        .send(&site)
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["created_by"], "root", "the logged-in user, whatever the body says");

    // Roles: a viewer reads; an operator silences; only an admin manages accounts.
    let vic = login(&site, "vic", "viewer password").await;
    let olga = login(&site, "olga", "operator password").await;
    assert_eq!(req(Method::GET, "/api/alerts").cookie(&vic).send(&site).await.0, 200);
    let (s, _, b) = req(Method::POST, "/api/silences").cookie(&vic).csrf().json(silence.clone()).send(&site).await;
    assert_eq!(s, 403, "{b}");
    assert_error(&b, "FORBIDDEN");
    let (s, _, b) = req(Method::POST, "/api/silences").cookie(&olga).csrf().json(silence.clone()).send(&site).await;
    assert_eq!((s.as_u16(), b["created_by"].as_str()), (201, Some("olga")));
    let id = b["id"].as_i64().unwrap();
    assert_eq!(req(Method::DELETE, &format!("/api/silences/{id}")).cookie(&olga).csrf().send(&site).await.0, 204);
    for path in ["/api/auth/users", "/api/auth/tokens", "/api/auth/audit"] {
        assert_eq!(req(Method::GET, path).cookie(&olga).send(&site).await.0, 403, "{path}");
        assert_eq!(req(Method::GET, path).cookie(&root).send(&site).await.0, 200, "{path}");
    }
    let (s, _, b) = req(Method::POST, "/api/auth/users")
        .cookie(&olga)
        .csrf()
        .json(json!({"name": "eve", "role": "admin", "password": "eve password"}))
        .send(&site)
        .await;
    assert_eq!(s, 403, "{b}");

    // Admins manage users; the last admin stays.
    let (s, _, b) = req(Method::POST, "/api/auth/users")
        .cookie(&root)
        .csrf()
        .json(json!({"name": "temp", "role": "viewer", "password": "temp password"}))
        .send(&site)
        .await;
    assert_eq!((s.as_u16(), b["role"].as_str()), (201, Some("viewer")), "{b}");
    assert!(b.get("password").is_none() && !b.to_string().contains("argon2"));
    let (_, _, users) = req(Method::GET, "/api/auth/users").cookie(&root).send(&site).await;
    assert_eq!(users.as_array().unwrap().len(), 4);
    assert!(!users.to_string().contains("argon2"), "no hash served: {users}");
    assert_eq!(req(Method::DELETE, "/api/auth/users/temp").cookie(&root).csrf().send(&site).await.0, 204);
    let (s, _, b) = req(Method::DELETE, "/api/auth/users/root").cookie(&root).csrf().send(&site).await;
    assert_eq!(s, 409, "{b}");

    // A password change ends every session of the user; this browser gets a new one.
    let vic2 = login(&site, "vic", "viewer password").await;
    let change = json!({"current": "viewer password", "new": "a new viewer password"});
    let (s, _, _) = req(Method::POST, "/api/auth/password")
        .cookie(&vic)
        .csrf()
        .json(json!({"current": "wrong", "new": "a new viewer password"}))
        .send(&site)
        .await;
    assert_eq!(s, 403);
    let (s, h, _) = req(Method::POST, "/api/auth/password").cookie(&vic).csrf().json(change).send(&site).await;
    assert_eq!(s, 200);
    let (vic3, _) = set_cookie(&h);
    assert_eq!(req(Method::GET, "/api/servers").cookie(&vic).send(&site).await.0, 401, "old session revoked");
    assert_eq!(req(Method::GET, "/api/servers").cookie(&vic2).send(&site).await.0, 401, "other session revoked");
    assert_eq!(req(Method::GET, "/api/servers").cookie(&vic3).send(&site).await.0, 200);

    // Logout ends the session and clears the cookie.
    let (s, h, _) = req(Method::POST, "/api/auth/logout").cookie(&vic3).csrf().send(&site).await;
    assert_eq!(s, 204);
    assert!(set_cookie(&h).1.contains("Max-Age=0"));
    assert_eq!(req(Method::GET, "/api/servers").cookie(&vic3).send(&site).await.0, 401);

    tokens(&site, &root).await;
    revoked_by_another_process(&site, store.as_ref()).await;

    // Too many failures for one name: refused without a password check, even the right one.
    for _ in 0..5 {
        let wrong = json!({"name": "olga", "password": "guess guess guess"});
        assert_eq!(req(Method::POST, "/api/auth/login").csrf().json(wrong).send(&site).await.0, 401);
    }
    let right = json!({"name": "olga", "password": "operator password"});
    let (s, h, b) = req(Method::POST, "/api/auth/login").csrf().json(right).send(&site).await;
    assert_eq!(s, 429, "{b}");
    assert_error(&b, "RATE_LIMITED");
    assert!(h.get("retry-after").is_some());

    // The audit log: logins, failures (without the password), changes; newest first.
    let (_, _, log) = req(Method::GET, "/api/auth/audit?limit=1000").cookie(&root).send(&site).await;
    let text = log.to_string();
    for action in [
        "login",
        "login_failed",
        "silence_created",
        "silence_deleted",
        "user_added",
        "user_removed",
        "password_changed",
        "logout",
        "token_created",
        "token_revoked",
    ] {
        assert!(log.as_array().unwrap().iter().any(|e| e["action"] == action), "no {action} in {text}");
    }
    let failed = log.as_array().unwrap().iter().find(|e| e["action"] == "login_failed" && e["actor"] == "nobody");
    assert_eq!(failed.unwrap()["source"], "127.0.0.1");
    for secret in ["not the password", "guess guess", "viewer password", "root password"] {
        assert!(!text.contains(secret), "a password in the audit log: {text}");
    }
}

/// A token revoked by another process (`fleetwatch token revoke` writes the store directly): the
/// API, which keeps the store's word on a credential for a second, refuses it soon after.
async fn revoked_by_another_process(site: &Site, store: &dyn Store) {
    let secret = fleetwatch_store::auth::new_token_secret().unwrap();
    let now = chrono::Utc::now();
    let id = store
        .create_token(fleetwatch_store::auth::NewToken {
            name: "cli-made",
            scopes: &[fleetwatch_common::auth::Scope::Read],
            secret_hash: &fleetwatch_store::auth::digest(&secret),
            created_by: "cli",
            created: now,
            expires: None,
            server: None,
        })
        .await
        .unwrap();
    let bearer = format!("Bearer {secret}");
    for _ in 0..3 {
        assert_eq!(req(Method::GET, "/api/servers").header("authorization", &bearer).send(site).await.0, 200);
    }
    assert!(store.revoke_token(id, chrono::Utc::now()).await.unwrap());
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        while req(Method::GET, "/api/servers").header("authorization", &bearer).send(site).await.0 != 401 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(refused.is_ok(), "a token revoked elsewhere is still let in after 10 s");
}

/// Tokens: created by an admin (the secret shown once), accepted as Bearer by the API, the
/// exports and the live stream, limited by their scopes, refused once revoked.
async fn tokens(site: &Site, root: &str) {
    let create = |name: &str, scopes: Value| json!({"name": name, "scopes": scopes, "expires_in_days": 30});
    let (s, _, read) = req(Method::POST, "/api/auth/tokens")
        .cookie(root)
        .csrf()
        .json(create("grafana", json!(["read"])))
        .send(site)
        .await;
    assert_eq!(s, 201, "{read}");
    let secret = read["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("fwt_"));
    let bearer = format!("Bearer {secret}");
    let (_, _, list) = req(Method::GET, "/api/auth/tokens").cookie(root).send(site).await;
    assert!(!list.to_string().contains(&secret[4..]), "the secret is shown only once: {list}");

    for path in ["/api/servers", "/api/export/users.csv", "/metrics"] {
        let (s, _, b) = req(Method::GET, path).header("authorization", &bearer).send(site).await;
        assert_eq!(s, 200, "{path}: {b}");
    }
    let stream =
        site.client.get(format!("{}/api/events", site.base)).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    drop(stream);
    let silence = json!({"servers": ["web-1"], "end": "2099-01-01T00:00:00Z"});
    let (s, _, _) =
        req(Method::POST, "/api/silences").header("authorization", &bearer).json(silence.clone()).send(site).await;
    assert_eq!(s, 403, "a read token cannot change anything");
    let (s, _, b) = req(Method::GET, "/api/auth/me").header("authorization", &bearer).send(site).await;
    assert_eq!((s.as_u16(), b["user"]["name"].as_str()), (200, Some("token:grafana")));

    let (_, _, admin) = req(Method::POST, "/api/auth/tokens")
        .cookie(root)
        .csrf()
        .json(create("ops", json!(["admin"])))
        .send(site)
        .await;
    let admin_bearer = format!("Bearer {}", admin["secret"].as_str().unwrap());
    // An ingest token is bound to one push server, and only an ingest token is.
    let push = |body: Value| req(Method::POST, "/api/auth/tokens").cookie(root).csrf().json(body);
    let (s, _, b) = push(create("push", json!(["ingest"]))).send(site).await;
    assert_eq!(s, 400, "no server: {b}");
    let (s, _, b) = push(json!({"name": "push", "scopes": ["ingest"], "server": "web-1"})).send(site).await;
    assert_eq!(s, 400, "web-1 is polled over SSH: {b}");
    assert!(b["error"].as_str().unwrap().contains("transport = \"push\""), "{b}");
    let (s, _, b) = push(json!({"name": "push", "scopes": ["read"], "server": "web-1"})).send(site).await;
    assert_eq!(s, 400, "a read token bound to a server: {b}");
    let (s, _, b) =
        req(Method::POST, "/api/silences").header("authorization", &admin_bearer).json(silence).send(site).await;
    assert_eq!((s.as_u16(), b["created_by"].as_str()), (201, Some("token:ops")), "no CSRF header needed: {b}");

    let id = read["token"]["id"].as_i64().unwrap();
    assert_eq!(req(Method::DELETE, &format!("/api/auth/tokens/{id}")).cookie(root).csrf().send(site).await.0, 204);
    let (s, _, b) = req(Method::GET, "/api/servers").header("authorization", &bearer).send(site).await;
    assert_eq!(s, 401, "revoked: {b}");
    assert_eq!(req(Method::GET, "/api/servers").header("authorization", "Bearer fwt_0000").send(site).await.0, 401);
    assert_eq!(req(Method::GET, "/api/servers").header("authorization", "Basic cm9vdDpyb290").send(site).await.0, 401);
}

#[tokio::test]
async fn auth_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("db").display())).await.unwrap();
    story(Arc::from(store)).await;
}

#[tokio::test]
async fn auth_on_postgres() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let store = fleetwatch_store::connect(&url).await.unwrap();
        story(Arc::from(store)).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn the_surface_is_safe() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("db").display())).await.unwrap());
    let site = start(store, false).await;

    // Unknown API paths: the JSON error body with 404, not the page.
    for path in ["/api/nope", "/api/servers/web-1/nope/deeper", "/api/auth/nope"] {
        let (s, h, b) = req(Method::GET, path).send(&site).await;
        assert_eq!(s, 404, "{path}");
        assert!(h["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        assert_error(&b, "NOT_FOUND");
    }

    // The security headers, on the page and on the API.
    for path in ["/", "/servers/web-1", "/api/servers", "/api/nope"] {
        let (_, h, _) = req(Method::GET, path).send(&site).await;
        let csp = h.get("content-security-policy").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("'sha256-"), "the inline script is allowed by its hash: {csp}");
        assert_eq!(h.get("x-content-type-options"), Some(&HeaderValue::from_static("nosniff")), "{path}");
        assert_eq!(h.get("referrer-policy"), Some(&HeaderValue::from_static("no-referrer")), "{path}");
        assert_eq!(h.get("x-frame-options"), Some(&HeaderValue::from_static("DENY")), "{path}");
    }

    // CORS stays closed: no preflight is granted, no answer is shared with another origin.
    let (_, h, _) = req(Method::OPTIONS, "/api/silences")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send(&site)
        .await;
    assert!(h.keys().all(|k| !k.as_str().starts_with("access-control-")), "{h:?}");
    let (_, h, _) = req(Method::GET, "/api/servers").header("origin", "https://evil.example").send(&site).await;
    assert!(h.get("access-control-allow-origin").is_none());

    // An oversized body is refused before it is read.
    let big = json!({"servers": ["x".repeat(100_000)], "end": "2099-01-01T00:00:00Z"});
    let (s, _, b) = req(Method::POST, "/api/silences").json(big).send(&site).await;
    assert_eq!(s, 413, "{b}");
    assert_error(&b, "PAYLOAD_TOO_LARGE");
}
