//! The security headers the API sends itself, so they hold with or without nginx in front:
//! the same Content-Security-Policy as `nginx/templates/security-headers.conf.template` (inline
//! scripts of `index.html` allowed by their SHA-256 only), no framing, no MIME sniffing, no
//! referrer. CORS stays closed: no `Access-Control-Allow-*` header is ever sent, so another
//! site's page cannot read an answer or send a preflighted request.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The headers added to every answer that has not set them itself.
#[derive(Debug, Clone)]
pub struct SecurityHeaders(Vec<(HeaderName, HeaderValue)>);

impl SecurityHeaders {
    /// The headers for the dashboard in `web_dir` (its `index.html`'s inline scripts).
    pub fn for_dashboard(web_dir: &Path) -> Self {
        let index = std::fs::read_to_string(web_dir.join("index.html")).unwrap_or_default();
        let csp = csp(&index);
        let mut list = vec![
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            ),
        ];
        if let Ok(value) = HeaderValue::from_str(&csp) {
            list.push((header::CONTENT_SECURITY_POLICY, value));
        }
        Self(list)
    }

    fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.0 {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}

/// The policy, allowing `index`'s inline scripts (those without `src=`) by hash.
pub fn csp(index: &str) -> String {
    let hashes: String = inline_scripts(index)
        .into_iter()
        .map(|body| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of the `<script>` elements without a `src` attribute, exactly as written.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<script") {
        rest = &rest[i..];
        let Some(j) = rest.find('>') else { break };
        let tag = &rest[..=j];
        rest = &rest[j + 1..];
        let Some(k) = rest.find("</script>") else { break };
        let body = &rest[..k];
        rest = &rest[k + "</script>".len()..];
        let has_src = tag.split(|c: char| c.is_ascii_whitespace()).skip(1).any(|a| a.trim_start().starts_with("src"));
        if !has_src && !body.is_empty() {
            out.push(body);
        }
    }
    out
}

pub async fn add(State(headers): State<Arc<SecurityHeaders>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    headers.apply(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_external_ones_by_origin() {
        let html = "<head><script>let a = 1;</script><script src=\"/x.js\"></script>\
                    <script type=\"module\">import x from '/y.js';</script></head>";
        assert_eq!(inline_scripts(html), ["let a = 1;", "import x from '/y.js';"]);
        let policy = csp(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest("let a = 1;"));
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(policy.matches("'sha256-").count(), 2);
    }
}
