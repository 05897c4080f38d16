//! Schemas for the OpenAPI document (`crate::openapi`) that no single Rust type gives: answers
//! of one of several shapes, path values read as text and checked by their handler, and JSON
//! built in place. Nothing here is serialised; these types only describe what handlers send.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuStats, DisksSection, MemoryStats, NetworkSection, ProcessesSection, SeriesPoint, Session,
    SystemInfo, TopUser, UserTotal,
};
use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

/// An array of `T` (the schema `Vec<T>` gives, referring to `T` by name).
fn array_of<T: ToSchema>() -> RefOr<Schema> {
    ArrayBuilder::new().items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))).into()
}

/// Registers `T` and what it refers to.
fn register<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// `GET /api/servers/{server_name}/{section}`: the section asked for, with its server and time.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct SectionAnswer {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    /// `CpuStats` (cpu), `MemoryStats` (memory), `DisksSection`, `NetworkSection`,
    /// `ProcessesSection`, sessions, containers, `SystemInfo` (system) or users.
    pub data: SectionData,
}

/// The `data` of a [`SectionAnswer`]: one of the sections.
pub struct SectionData;

impl PartialSchema for SectionData {
    fn schema() -> RefOr<Schema> {
        let by_name = |name: Cow<'static, str>| RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name));
        AnyOfBuilder::new()
            .item(by_name(CpuStats::name()))
            .item(by_name(MemoryStats::name()))
            .item(by_name(DisksSection::name()))
            .item(by_name(NetworkSection::name()))
            .item(by_name(ProcessesSection::name()))
            .item(by_name(SystemInfo::name()))
            .item(array_of::<Session>())
            .item(array_of::<ContainerInfo>())
            .item(array_of::<TopUser>())
            .into()
    }
}

impl ToSchema for SectionData {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        register::<CpuStats>(schemas);
        register::<MemoryStats>(schemas);
        register::<DisksSection>(schemas);
        register::<NetworkSection>(schemas);
        register::<ProcessesSection>(schemas);
        register::<SystemInfo>(schemas);
        register::<Session>(schemas);
        register::<ContainerInfo>(schemas);
        register::<TopUser>(schemas);
    }
}

/// The `{section}` of `/api/servers/{server_name}/{section}`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub enum SectionPath {
    #[serde(rename = "cpu")]
    Cpu,
    #[serde(rename = "memory")]
    Memory,
    #[serde(rename = "disks")]
    Disks,
    #[serde(rename = "network")]
    Network,
    #[serde(rename = "processes")]
    Processes,
    #[serde(rename = "users")]
    Users,
    #[serde(rename = "sessions")]
    Sessions,
    #[serde(rename = "containers")]
    Containers,
    #[serde(rename = "system")]
    System,
}

/// `GET /api/servers/{server_name}/metrics/series`: the series names (without `name`) or the
/// points of one series.
pub struct SeriesAnswer;

impl PartialSchema for SeriesAnswer {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new().item(Vec::<String>::schema()).item(array_of::<SeriesPoint>()).into()
    }
}

impl ToSchema for SeriesAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        register::<SeriesPoint>(schemas);
    }
}

/// `GET /api/users/top`: the latest users, or (with `from` or `to`) their totals over the window.
pub struct TopUsersAnswer;

impl PartialSchema for TopUsersAnswer {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new().item(array_of::<TopUser>()).item(array_of::<UserTotal>()).into()
    }
}

impl ToSchema for TopUsersAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        register::<TopUser>(schemas);
        register::<UserTotal>(schemas);
    }
}

/// The `{file}` of `/api/export/{file}`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub enum ExportName {
    #[serde(rename = "users.xlsx")]
    UsersXlsx,
    #[serde(rename = "users.csv")]
    UsersCsv,
    #[serde(rename = "users.json")]
    UsersJson,
    #[serde(rename = "metrics.xlsx")]
    MetricsXlsx,
    #[serde(rename = "metrics.csv")]
    MetricsCsv,
    #[serde(rename = "metrics.json")]
    MetricsJson,
}

/// Any JSON value (the JSON exports: their tables as objects).
pub struct AnyJson;

impl PartialSchema for AnyJson {
    fn schema() -> RefOr<Schema> {
        Schema::Object(ObjectBuilder::new().schema_type(SchemaType::AnyValue).build()).into()
    }
}

impl ToSchema for AnyJson {}

/// An xlsx file (`/api/export/….xlsx`): bytes, not JSON.
pub struct Spreadsheet;

impl PartialSchema for Spreadsheet {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Spreadsheet {}

/// `GET /ready`: the database answers.
pub struct Ready;

impl PartialSchema for Ready {
    fn schema() -> RefOr<Schema> {
        let text = |example: &str| ObjectBuilder::new().schema_type(Type::String).examples([example]).build();
        ObjectBuilder::new()
            .property("status", text("ready"))
            .required("status")
            .property("database", text("ok"))
            .required("database")
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .required("timestamp")
            .into()
    }
}

impl ToSchema for Ready {}
