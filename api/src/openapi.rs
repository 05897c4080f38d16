//! The API contract: an OpenAPI 3.1 document generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types' `ToSchema` derives, served at `GET /api/openapi.json`.
//!
//! Every operation answers the one JSON error body (`ErrorBody`) on failure; its auth is an API
//! token (`Authorization: Bearer …`) or the session cookie, except where an operation says
//! otherwise (health, login, setup). `api/tests/openapi.rs` checks that every route of the
//! route table is here.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use fleetwatch_common::ErrorBody;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::auth::SESSION_COOKIE;
use crate::handlers;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fleetwatch API",
        description = "Agentless monitoring of Linux servers: servers, samples, history, users, alerts, \
                       silences, exports and accounts. Errors answer the JSON `ErrorBody`."
    ),
    paths(
        serve,
        handlers::health::health,
        handlers::health::ready,
        handlers::health::healthz,
        handlers::health::readyz,
        handlers::metrics::scrape,
        handlers::servers::list,
        handlers::servers::latest,
        handlers::servers::history,
        handlers::servers::range,
        handlers::servers::summary,
        handlers::servers::status,
        handlers::server_detail::detail,
        handlers::sections::section,
        handlers::sections::series,
        handlers::host_keys::accept,
        handlers::users::top,
        handlers::activity::history,
        handlers::seed_metrics::cpu_metrics,
        handlers::seed_metrics::memory_metrics,
        handlers::seed_metrics::disk_metrics,
        handlers::seed_metrics::all_metrics,
        handlers::seed_metrics::recent,
        handlers::system_health::health,
        handlers::system_health::metrics,
        handlers::system_health::containers,
        handlers::system_health::container,
        handlers::system::overview,
        handlers::events::stream,
        handlers::ui::config,
        handlers::export::download,
        handlers::alerts::list,
        handlers::alerts::history,
        handlers::alerts::channels,
        handlers::alerts::rules,
        handlers::alerts::ack,
        handlers::silences::list,
        handlers::silences::create,
        handlers::silences::delete,
        handlers::auth::me,
        handlers::auth::login,
        handlers::auth::logout,
        handlers::auth::setup,
        handlers::auth::password,
        handlers::accounts::users,
        handlers::accounts::add_user,
        handlers::accounts::remove_user,
        handlers::accounts::tokens,
        handlers::accounts::create_token,
        handlers::accounts::revoke_token,
        handlers::accounts::audit,
        handlers::ingest::push,
    ),
    // The schemas that only parameters name (the others come with their operations).
    components(schemas(ErrorBody, crate::params::Step, crate::schemas::SectionPath, crate::schemas::ExportName, fleetwatch_alerts::Severity)),
    modifiers(&Contract),
    security(("bearer" = []), ("session" = [])),
)]
struct ApiDoc;

/// What the annotations cannot say: the security schemes, the error body on every operation,
/// the routes that serve one handler under a second path, and unique operation ids.
struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`fleetwatch token create` or the Settings page)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The session of `POST /api/auth/login`",
            ))),
        );

        let paths = &mut doc.paths.paths;
        for (from, to) in [
            ("/api/health", "/health"),
            ("/api/servers/{server_name}", "/api/servers/{server_name}/"),
            ("/api/ingest", "/api/metrics"),
        ] {
            if let Some(item) = paths.get(from).cloned() {
                paths.insert(to.to_owned(), item);
            }
        }
        if let Some(mut item) = doc.paths.paths.get("/api/alerts/{server}/{rule}/{instance}/ack").cloned() {
            for op in operations(&mut item) {
                if let Some(params) = op.parameters.as_mut() {
                    params.retain(|p| p.name != "instance");
                }
            }
            doc.paths.paths.insert("/api/alerts/{server}/{rule}/ack".to_owned(), item);
        }

        let error = ResponseBuilder::new()
            .description("The JSON error body: what went wrong, in a safe message, and its code")
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build(),
            )
            .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            let methods: Vec<String> = item_methods(item);
            for (op, method) in operations(item).into_iter().zip(methods) {
                op.operation_id = Some(format!("{method} {path}"));
                op.responses.responses.insert("default".to_owned(), error.clone().into());
            }
        }
    }
}

/// The operations of `item`, in the order of [`item_methods`].
fn operations(item: &mut PathItem) -> Vec<&mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch]
        .into_iter()
        .filter_map(Option::as_mut)
        .collect()
}

fn item_methods(item: &PathItem) -> Vec<String> {
    [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete), ("PATCH", &item.patch)]
        .into_iter()
        .filter(|(_, op)| op.is_some())
        .map(|(m, _)| m.to_owned())
        .collect()
}

/// The document, made once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// The document as JSON text, made once.
fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| match document().to_json() {
        Ok(json) => json,
        Err(e) => {
            tracing::error!(error = %e, "cannot write the OpenAPI document");
            String::from("{}")
        }
    })
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}
