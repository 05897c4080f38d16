//! The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
//! sends it), Secure when the request came over HTTPS, Path=/.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION_COOKIE: &str = "fleetwatch_session";

/// The session id in the request's cookies, if any.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// `Set-Cookie` for a new session that lives at most `max_age_secs`.
pub fn session_cookie(id: &str, max_age_secs: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let text = format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(https: bool) -> HeaderValue {
    if https {
        HeaderValue::from_static("fleetwatch_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure")
    } else {
        HeaderValue::from_static("fleetwatch_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; fleetwatch_session=abc123 ; x=y"));
        assert_eq!(session_id(&headers).as_deref(), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("fleetwatch_session_other=1"));
        assert_eq!(session_id(&headers), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let plain = session_cookie("abc", 60, false);
        let plain = plain.to_str().unwrap_or_default();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && !plain.contains("Secure"));
        let secure = session_cookie("abc", 60, true);
        assert!(secure.to_str().unwrap_or_default().ends_with("; Secure"));
    }
}
