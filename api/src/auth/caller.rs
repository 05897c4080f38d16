//! Who is calling, and the three levels of what may be done.

use fleetwatch_common::auth::{Me, Role, Scope};

/// What a request needs: `Read` (viewer), `Operate` (acknowledge, silence, collect: operator),
/// `Admin` (users, tokens, the audit log, host keys), or `Ingest` (a push host posting its
/// program's output: only a token with the `ingest` scope, never a user or an open API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Operate,
    Admin,
    Ingest,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody logged in, and nobody has to: open mode (loopback, no user yet).
    Open,
    /// Nobody logged in, where login is asked: only the public endpoints answer.
    Anonymous,
    /// A user with a session cookie.
    User { name: String, role: Role },
    /// A request with an API token; `server`: the one server it may push for.
    Token { name: String, scopes: Vec<Scope>, server: Option<String> },
}

impl Principal {
    /// Whether this caller may do what `level` needs.
    pub fn may(&self, level: Level) -> bool {
        if level == Level::Ingest {
            return matches!(self, Principal::Token { scopes, .. } if scopes.contains(&Scope::Ingest));
        }
        match self {
            Principal::Open => true,
            Principal::Anonymous => false,
            Principal::User { role, .. } => match level {
                Level::Read => true,
                Level::Operate => *role >= Role::Operator,
                Level::Admin => *role == Role::Admin,
                Level::Ingest => false,
            },
            Principal::Token { scopes, .. } => {
                scopes.contains(&Scope::Admin) || (level == Level::Read && scopes.contains(&Scope::Read))
            }
        }
    }

    /// The name the audit log and `acknowledged by` show.
    pub fn actor(&self) -> String {
        match self {
            Principal::Open => "api".into(),
            Principal::Anonymous => "anonymous".into(),
            Principal::User { name, .. } => name.clone(),
            Principal::Token { name, .. } => format!("token:{name}"),
        }
    }

    /// The user who is calling, as `/api/auth/me` tells it.
    pub fn me(&self) -> Option<Me> {
        match self {
            Principal::User { name, role } => Some(Me { name: name.clone(), role: *role, via: "session".into() }),
            Principal::Token { name, scopes, .. } => {
                let role = if scopes.contains(&Scope::Admin) { Role::Admin } else { Role::Viewer };
                Some(Me { name: format!("token:{name}"), role, via: "token".into() })
            }
            Principal::Open | Principal::Anonymous => None,
        }
    }
}

/// The caller of a request, which the middleware puts in its extensions: who, from where, and
/// (for a session) the digest of its id.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The client's address (nginx's `X-Real-IP` when the peer is a local proxy).
    pub address: String,
    pub session_hash: Option<String>,
    /// The request came over HTTPS (directly or, per `X-Forwarded-Proto`, through nginx).
    pub https: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_reach_their_levels() {
        let user = |role| Principal::User { name: "u".into(), role };
        let token = |scopes: &[Scope]| Principal::Token { name: "t".into(), scopes: scopes.to_vec(), server: None };
        let table = [
            (user(Role::Viewer), [true, false, false, false]),
            (user(Role::Operator), [true, true, false, false]),
            (user(Role::Admin), [true, true, true, false]),
            (token(&[Scope::Read]), [true, false, false, false]),
            (token(&[Scope::Ingest]), [false, false, false, true]),
            (token(&[Scope::Admin]), [true, true, true, false]),
            (Principal::Anonymous, [false, false, false, false]),
            (Principal::Open, [true, true, true, false]),
        ];
        for (who, allowed) in table {
            for (level, ok) in [Level::Read, Level::Operate, Level::Admin, Level::Ingest].into_iter().zip(allowed) {
                assert_eq!(who.may(level), ok, "{who:?} at {level:?}");
            }
        }
    }
}
