//! The accounts part of the contract: users, sessions (idle and absolute expiry, revoked on a
//! password change), API tokens and the audit log. Driven from `story` for every backend.

use chrono::{DateTime, Duration, Utc};
use fleetwatch_store::auth::{
    AuditEntry, NewSession, NewToken, Role, Scope, SessionUser, UserRecord, digest, hash_password, new_token_secret,
    random_hex, verify_password,
};
use fleetwatch_store::{Error, Store};

use super::t;

fn user(name: &str, role: Role, password: &str) -> UserRecord {
    UserRecord {
        name: name.into(),
        role,
        password_hash: hash_password(password).unwrap(),
        created: t(0),
        password_changed: t(0),
    }
}

pub async fn users_sessions_tokens_and_audit(store: &dyn Store) {
    users_and_roles(store).await;
    sessions_expire_and_end_with_the_password(store).await;
    tokens_are_found_by_digest_until_revoked_or_expired(store).await;
    audit_log_is_newest_first(store).await;
}

async fn users_and_roles(store: &dyn Store) {
    assert_eq!(store.user_count().await.unwrap(), 0);
    assert!(store.users().await.unwrap().is_empty());
    store.create_user(&user("root", Role::Admin, "first admin pw")).await.unwrap();
    store.create_user(&user("ann", Role::Viewer, "viewer password")).await.unwrap();
    let again = store.create_user(&user("ann", Role::Admin, "another password")).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    assert_eq!(store.user_count().await.unwrap(), 2);

    let ann = store.user("ann").await.unwrap().expect("ann stored");
    assert_eq!(ann.role, Role::Viewer);
    assert_eq!(ann.created, t(0));
    assert!(verify_password("viewer password", &ann.password_hash));
    assert!(!verify_password("another password", &ann.password_hash), "the refused duplicate changed nothing");
    assert!(store.user("nobody").await.unwrap().is_none());
    let names: Vec<String> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["ann", "root"]);

    // The last admin can neither go nor stop being an admin.
    assert!(matches!(store.delete_user("root").await, Err(Error::Conflict(_))));
    assert!(matches!(store.set_role("root", Role::Viewer).await, Err(Error::Conflict(_))));
    assert!(store.set_role("ann", Role::Admin).await.unwrap());
    assert!(store.set_role("root", Role::Operator).await.unwrap(), "another admin exists now");
    assert!(matches!(store.delete_user("ann").await, Err(Error::Conflict(_))), "ann is the last admin now");
    assert!(store.set_role("root", Role::Admin).await.unwrap());
    assert!(store.set_role("ann", Role::Viewer).await.unwrap());
    assert!(!store.set_role("nobody", Role::Viewer).await.unwrap());
    assert_eq!(store.user("root").await.unwrap().unwrap().role, Role::Admin);

    store.create_user(&user("temp", Role::Operator, "temporary pw")).await.unwrap();
    assert!(store.delete_user("temp").await.unwrap());
    assert!(!store.delete_user("temp").await.unwrap());
    assert!(store.user("temp").await.unwrap().is_none());
}

/// A session of `user` opened at `now`: 30 minutes idle, 2 hours at most.
fn open<'a>(id_hash: &'a str, user: &'a str, now: DateTime<Utc>) -> NewSession<'a> {
    NewSession { id_hash, user, now, idle: Duration::minutes(30), absolute: Duration::hours(2) }
}

async fn sessions_expire_and_end_with_the_password(store: &dyn Store) {
    let idle = Duration::minutes(30);
    let id = random_hex().unwrap();
    let id_hash = digest(&id);
    let id_hash = id_hash.as_str();
    store.create_session(open(id_hash, "ann", t(100))).await.unwrap();

    let expected =
        SessionUser { name: "ann".into(), role: Role::Viewer, created: t(100), expires: t(100) + Duration::hours(2) };
    assert_eq!(store.session(id_hash, t(100 + 60), idle).await.unwrap(), Some(expected.clone()));
    assert_eq!(store.session(&digest("some other id"), t(160), idle).await.unwrap(), None);
    assert_eq!(store.session(&id, t(160), idle).await.unwrap(), None, "looked up by digest, not by the id");
    // Each use pushes the idle limit on: 25 minutes after the last use is fine, 31 is not.
    let mut at = t(160);
    for _ in 0..3 {
        at += Duration::minutes(25);
        assert!(store.session(id_hash, at, idle).await.unwrap().is_some(), "used within the idle time at {at}");
    }
    assert_eq!(store.session(id_hash, at + Duration::minutes(31), idle).await.unwrap(), None, "idle too long");

    // The absolute limit holds however often it is used.
    let busy = digest("busy");
    let busy = busy.as_str();
    store.create_session(open(busy, "ann", t(100))).await.unwrap();
    let mut at = t(100);
    while at < t(100) + Duration::hours(2) - Duration::minutes(10) {
        at += Duration::minutes(10);
        assert!(store.session(busy, at, idle).await.unwrap().is_some());
    }
    assert_eq!(store.session(busy, t(100) + Duration::hours(2), idle).await.unwrap(), None, "absolute expiry");
    assert!(store.purge_sessions(t(100) + Duration::hours(3)).await.unwrap() >= 2);

    // Logout ends one session; a password change ends them all.
    let (a, b) = (digest("a"), digest("b"));
    let (a, b) = (a.as_str(), b.as_str());
    store.create_session(open(a, "ann", t(1000))).await.unwrap();
    store.create_session(open(b, "ann", t(1000))).await.unwrap();
    assert!(store.delete_session(a).await.unwrap());
    assert!(!store.delete_session(a).await.unwrap());
    assert_eq!(store.session(a, t(1001), idle).await.unwrap(), None);
    assert!(store.session(b, t(1001), idle).await.unwrap().is_some());
    let new_hash = hash_password("a new password").unwrap();
    assert!(store.set_password("ann", &new_hash, t(1002)).await.unwrap());
    assert!(!store.set_password("nobody", &new_hash, t(1002)).await.unwrap());
    assert_eq!(store.session(b, t(1003), idle).await.unwrap(), None, "revoked by the password change");
    let ann = store.user("ann").await.unwrap().unwrap();
    assert_eq!(ann.password_changed, t(1002));
    assert!(verify_password("a new password", &ann.password_hash));

    // A role change and a removal end the user's sessions too.
    store.create_session(open(b, "ann", t(1000))).await.unwrap();
    assert!(store.set_role("ann", Role::Operator).await.unwrap());
    assert_eq!(store.session(b, t(1003), idle).await.unwrap(), None, "revoked by the role change");
    store.create_session(open(b, "ann", t(1000))).await.unwrap();
    assert_eq!(store.session(b, t(1003), idle).await.unwrap().map(|s| s.role), Some(Role::Operator));
    store.create_user(&user("gone", Role::Viewer, "soon removed")).await.unwrap();
    store.create_session(open(a, "gone", t(1000))).await.unwrap();
    assert!(store.delete_user("gone").await.unwrap());
    assert_eq!(store.session(a, t(1003), idle).await.unwrap(), None);
}

async fn tokens_are_found_by_digest_until_revoked_or_expired(store: &dyn Store) {
    assert!(store.tokens().await.unwrap().is_empty());
    let secret = new_token_secret().unwrap();
    let id = store
        .create_token(NewToken {
            name: "grafana",
            scopes: &[Scope::Read],
            secret_hash: &digest(&secret),
            created_by: "root",
            created: t(10),
            expires: None,
            server: None,
        })
        .await
        .unwrap();
    let short = new_token_secret().unwrap();
    let short_id = store
        .create_token(NewToken {
            name: "push web-1",
            scopes: &[Scope::Ingest, Scope::Read],
            secret_hash: &digest(&short),
            created_by: "root",
            created: t(10),
            expires: Some(t(100)),
            server: Some("web-1"),
        })
        .await
        .unwrap();
    assert!(short_id > id);

    let used = store.use_token(&digest(&secret), t(50)).await.unwrap().expect("a live token");
    assert_eq!((used.id, used.name.as_str(), used.scopes.as_slice()), (id, "grafana", &[Scope::Read][..]));
    assert_eq!(used.last_used, Some(t(50)));
    assert!(used.has(Scope::Read) && !used.has(Scope::Admin));
    assert!(store.use_token(&secret, t(50)).await.unwrap().is_none(), "the secret itself is not stored");
    assert_eq!(used.server, None, "not bound to a server");
    let bound = store.use_token(&digest(&short), t(99)).await.unwrap().expect("a live token");
    assert_eq!(bound.server.as_deref(), Some("web-1"), "bound to its server");
    assert!(store.use_token(&digest(&short), t(100)).await.unwrap().is_none(), "expired");

    assert!(store.revoke_token(id, t(60)).await.unwrap());
    assert!(!store.revoke_token(id, t(61)).await.unwrap(), "already revoked");
    assert!(!store.revoke_token(9_999, t(61)).await.unwrap());
    assert!(store.use_token(&digest(&secret), t(62)).await.unwrap().is_none(), "revoked");

    let all = store.tokens().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].revoked, Some(t(60)));
    assert_eq!(all[0].last_used, Some(t(50)), "a refused use is not a use");
    assert_eq!(all[1].scopes, [Scope::Ingest, Scope::Read]);
    assert_eq!(all[1].expires, Some(t(100)));
    assert_eq!(all[1].created_by, "root");
}

async fn audit_log_is_newest_first(store: &dyn Store) {
    assert!(store.audit_log(10).await.unwrap().is_empty());
    for (i, action) in ["login_failed", "login", "token_created"].into_iter().enumerate() {
        let entry = AuditEntry {
            id: 0,
            at: t(i as i64),
            actor: "root".into(),
            action: action.into(),
            target: (action == "token_created").then(|| "grafana".into()),
            source: Some("127.0.0.1".into()),
            detail: None,
        };
        store.record_audit(&entry).await.unwrap();
    }
    let log = store.audit_log(2).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["token_created", "login"]);
    assert_eq!(log[0].target.as_deref(), Some("grafana"));
    assert_eq!(log[0].source.as_deref(), Some("127.0.0.1"));
    assert_eq!(log[0].at, t(2));
    assert!(log[0].id > log[1].id);
}
