//! Query parameters of the list endpoints, turned into the app's query types.
//!
//! Values are read as strings first and converted one by one, so a request with
//! several bad values gets one 422 naming every field. Unknown parameters are
//! ignored. The `*Params` structs document the parameters in OpenAPI; each
//! one's `ListFilter` impl is the parser for the same names.

use std::collections::HashMap;
use std::fmt::Display;
use std::marker::PhantomData;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use formula_app::AppError;
use formula_app::query::ScopeQuery;
use formula_app::query::{
    AuditQuery, ClientQuery, ClientSort, Dir, Paging, ProjectQuery, ProjectSort, TaskQuery,
    TaskSort, UserQuery, UserSort,
};
use formula_app::tasks::{MY_WORK_GROUP_LIMIT, MY_WORK_GROUP_MAX};
use formula_domain::client::ClientStatus;
use formula_domain::errors::FieldErrors;
use formula_domain::project::ProjectStatus;
use formula_domain::scope::ScopeStatus;
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, UserStatus};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

/// Longest accepted search text.
const MAX_Q: usize = 200;

/// The raw query string as name → value (the last value wins), plus the errors found so far.
pub struct QueryParams {
    values: HashMap<String, String>,
    errors: FieldErrors,
}

impl QueryParams {
    /// Reads the query string; an undecodable one is 400.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("the query string could not be read: {e}"),
                )
            })?;
        Ok(QueryParams {
            values: pairs.into_iter().collect(),
            errors: FieldErrors::new(),
        })
    }

    /// The trimmed value, if present and not empty.
    fn raw(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Parses a value with `FromStr`; a bad one is recorded as a field error.
    pub fn value<T>(&mut self, name: &str, expected: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self.raw(name)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                let message = if expected.is_empty() {
                    e.to_string()
                } else {
                    expected.to_owned()
                };
                self.errors.add(name, message);
                None
            }
        }
    }

    /// A value from a closed vocabulary (the error lists the allowed values).
    pub fn choice<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.value(name, "")
    }

    /// A UUID.
    pub fn id(&mut self, name: &str) -> Option<Uuid> {
        self.value(name, "must be a UUID")
    }

    /// Free text such as a search, at most 200 characters.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?;
        if raw.chars().count() > MAX_Q {
            self.errors
                .add(name, format!("must be at most {MAX_Q} characters"));
            return None;
        }
        Some(raw.to_owned())
    }

    /// The place filters: `building_id`, `level_id`, `room_id`, `room_type_id`.
    pub fn place(&mut self) -> formula_app::location_filter::LocationFilter {
        formula_app::location_filter::LocationFilter {
            building_id: self.id("building_id"),
            level_id: self.id("level_id"),
            room_id: self.id("room_id"),
            room_type_id: self.id("room_type_id"),
        }
    }

    /// Ids separated by commas, at most `max` of them (none when absent).
    pub fn ids(&mut self, name: &str, max: usize) -> Vec<Uuid> {
        let Some(raw) = self.raw(name) else {
            return Vec::new();
        };
        let parsed: Result<Vec<Uuid>, _> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Uuid::parse_str)
            .collect();
        match parsed {
            Ok(ids) if ids.len() > max => {
                self.errors
                    .add(name, format!("names {} ids; at most {max}", ids.len()));
                Vec::new()
            }
            Ok(ids) => ids,
            Err(_) => {
                self.errors
                    .add(name, "must be ids (UUIDs) separated by commas");
                Vec::new()
            }
        }
    }

    /// Reports a value a filter of its own refused.
    pub fn reject(&mut self, name: &str, message: &str) {
        self.errors.add(name, message);
    }

    /// A boolean: `true`/`false` (also `1`/`0`).
    pub fn flag(&mut self, name: &str) -> Option<bool> {
        match self.raw(name)? {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                self.errors.add(name, "must be true or false");
                None
            }
        }
    }

    /// `page` (1-based) and `limit` (1–200).
    pub fn paging(&mut self) -> Paging {
        let page = self.value::<u64>("page", "must be a whole number from 1");
        let limit = self.value::<u32>("limit", "must be a whole number between 1 and 200");
        Paging::new(page, limit).unwrap_or_else(|e| {
            // A value that did not parse is already reported; report range errors for the rest.
            for err in e.0 {
                if self.errors.get(&err.field).is_none() {
                    self.errors.0.push(err);
                }
            }
            Paging::default()
        })
    }

    /// `sort`: one of `allowed`, prefixed with `-` for descending.
    pub fn sort<T: Copy>(&mut self, allowed: &[(&str, T)]) -> Option<(T, Dir)> {
        let raw = self.raw("sort")?.to_owned();
        let fallback = allowed.first()?.1;
        match formula_app::query::parse_sort(Some(&raw), allowed, (fallback, Dir::Asc)) {
            Ok(s) => Some(s),
            Err(m) => {
                self.errors.add("sort", m);
                None
            }
        }
    }

    /// The parsed value, or 422 listing every bad parameter.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        self.errors
            .into_result()
            .map_err(|e| ApiError::from(AppError::Validation(e)))?;
        Ok(value)
    }
}

/// A set of query parameters: how to read them into the app's query type.
pub trait ListFilter {
    type Query;
    fn read(p: &mut QueryParams) -> Self::Query;
}

/// Extracts `F::Query` from the query string (422 with field errors on bad values).
pub struct Parsed<F: ListFilter>(pub F::Query, pub PhantomData<F>);

impl<S: Send + Sync, F: ListFilter> FromRequestParts<S> for Parsed<F> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut p = QueryParams::parse(parts.uri.query())?;
        let q = F::read(&mut p);
        p.finish(Parsed(q, PhantomData))
    }
}

/// The sort keys of `UserParams`.
const USER_SORT: &[(&str, UserSort)] = &[
    ("name", UserSort::Name),
    ("email", UserSort::Email),
    ("role", UserSort::Role),
    ("created_at", UserSort::CreatedAt),
];

fn user_sort() -> utoipa::openapi::Object {
    sort_schema(USER_SORT)
}

/// The sort keys of `ClientParams`.
const CLIENT_SORT: &[(&str, ClientSort)] = &[
    ("name", ClientSort::Name),
    ("status", ClientSort::Status),
    ("created_at", ClientSort::CreatedAt),
];

fn client_sort() -> utoipa::openapi::Object {
    sort_schema(CLIENT_SORT)
}

/// The sort keys of `ProjectParams`.
const PROJECT_SORT: &[(&str, ProjectSort)] = &[
    ("code", ProjectSort::Code),
    ("name", ProjectSort::Name),
    ("status", ProjectSort::Status),
    ("end_date", ProjectSort::EndDate),
    ("created_at", ProjectSort::CreatedAt),
];

fn project_sort() -> utoipa::openapi::Object {
    sort_schema(PROJECT_SORT)
}

/// The sort keys of `TaskParams`.
const TASK_SORT: &[(&str, TaskSort)] = &[
    ("due_date", TaskSort::DueDate),
    ("priority", TaskSort::Priority),
    ("status", TaskSort::Status),
    ("title", TaskSort::Title),
    ("created_at", TaskSort::CreatedAt),
];

fn task_sort() -> utoipa::openapi::Object {
    sort_schema(TASK_SORT)
}

/// A `sort` parameter: each key, ascending or (with `-`) descending.
fn sort_schema<T>(keys: &[(&str, T)]) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let values = keys
        .iter()
        .flat_map(|(k, _)| [(*k).to_owned(), format!("-{k}")]);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// Paging of every list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1), at most 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Filters of `GET /users`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    /// Search in name and email.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// `name`, `email`, `role` or `created_at`; prefix with `-` for descending.
    #[param(schema_with = user_sort)]
    pub sort: Option<String>,
}

impl ListFilter for UserParams {
    type Query = UserQuery;
    fn read(p: &mut QueryParams) -> UserQuery {
        UserQuery {
            q: p.text("q"),
            role: p.choice("role"),
            status: p.choice("status"),
            sort: p.sort(USER_SORT),
            paging: p.paging(),
        }
    }
}

/// Filters of `GET /clients`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientParams {
    /// Search in name and type.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub status: Option<ClientStatus>,
    /// `name`, `status` or `created_at`; prefix with `-` for descending.
    #[param(schema_with = client_sort)]
    pub sort: Option<String>,
}

impl ListFilter for ClientParams {
    type Query = ClientQuery;
    fn read(p: &mut QueryParams) -> ClientQuery {
        ClientQuery {
            q: p.text("q"),
            status: p.choice("status"),
            sort: p.sort(CLIENT_SORT),
            paging: p.paging(),
        }
    }
}

/// Filters of `GET /projects`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectParams {
    /// Search in code, name, client name and location.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub status: Option<ProjectStatus>,
    pub client_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    /// `code`, `name`, `status`, `end_date` or `created_at`; prefix with `-` for descending.
    #[param(schema_with = project_sort)]
    pub sort: Option<String>,
}

impl ListFilter for ProjectParams {
    type Query = ProjectQuery;
    fn read(p: &mut QueryParams) -> ProjectQuery {
        ProjectQuery {
            q: p.text("q"),
            status: p.choice("status"),
            client_id: p.id("client_id"),
            manager_id: p.id("manager_id"),
            sort: p.sort(PROJECT_SORT),
            paging: p.paging(),
        }
    }
}

/// Filters of `GET /projects/{id}/tasks`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// Search in the title.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Uuid>,
    /// `true`: only tasks that are neither completed nor cancelled.
    pub open: Option<bool>,
    /// Only tasks due before this date (YYYY-MM-DD).
    pub due_before: Option<time::Date>,
    /// `due_date`, `priority`, `status`, `title` or `created_at`; prefix with `-` for descending.
    #[param(schema_with = task_sort)]
    pub sort: Option<String>,
    /// Only tasks carrying this label.
    pub label_id: Option<Uuid>,
    /// Only the subtasks of this task.
    pub parent_id: Option<Uuid>,
    /// Only tasks for a scope item on this building level: in one of its rooms, or on a room
    /// type with rooms there (the level filter of the scope and the workshop board).
    pub level_id: Option<Uuid>,
}

impl ListFilter for TaskParams {
    type Query = TaskQuery;
    fn read(p: &mut QueryParams) -> TaskQuery {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let due_before = p.raw("due_before").map(str::to_owned).and_then(|raw| {
            match time::Date::parse(&raw, format) {
                Ok(d) => Some(d),
                Err(_) => {
                    p.errors.add("due_before", "must be a date like 2026-03-31");
                    None
                }
            }
        });
        TaskQuery {
            project_id: None,
            q: p.text("q"),
            status: p.choice("status"),
            assignee_id: p.id("assignee_id"),
            open_only: p.flag("open").unwrap_or(false),
            due_before,
            // My work's groups only; not offered as filters.
            due_from: None,
            undated: false,
            completed_since: None,
            sort: p.sort(TASK_SORT),
            paging: p.paging(),
            label_id: p.id("label_id"),
            parent_id: p.id("parent_id"),
            level_id: p.id("level_id"),
        }
    }
}

/// `GET /me/tasks`: how many tasks each group lists.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyWorkParams {
    /// Tasks listed per group, 1–200 (default 25); `totals` counts them all.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl ListFilter for MyWorkParams {
    type Query = u32;
    fn read(p: &mut QueryParams) -> u32 {
        let limit = p.value::<u32>("limit", "must be a whole number between 1 and 200");
        match limit {
            Some(n) if !(1..=MY_WORK_GROUP_MAX).contains(&n) => {
                p.errors
                    .add("limit", "must be a whole number between 1 and 200");
                MY_WORK_GROUP_LIMIT
            }
            Some(n) => n,
            None => MY_WORK_GROUP_LIMIT,
        }
    }
}

/// Filters of `GET /projects/{id}/scope-items`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeParams {
    /// Search in the code, name and location.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub group_id: Option<Uuid>,
    pub status: Option<ScopeStatus>,
    /// Items in a room of this building, or on a room type with rooms in it.
    pub building_id: Option<Uuid>,
    /// Items in a room of this level, or on a room type with rooms on it.
    pub level_id: Option<Uuid>,
    /// Items in this room, or on its room type.
    pub room_id: Option<Uuid>,
    /// Items placed on this room type.
    pub room_type_id: Option<Uuid>,
}

impl ListFilter for ScopeParams {
    type Query = ScopeQuery;
    fn read(p: &mut QueryParams) -> ScopeQuery {
        ScopeQuery {
            project_id: Uuid::nil(),
            q: p.text("q"),
            group_id: p.id("group_id"),
            status: p.choice("status"),
            building_id: p.id("building_id"),
            level_id: p.id("level_id"),
            room_id: p.id("room_id"),
            room_type_id: p.id("room_type_id"),
            paging: p.paging(),
        }
    }
}

/// Filters of `GET /audit`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `user`, `client`, `project`, `task`, `api_token`, …
    #[param(max_length = 200)]
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// `create`, `update`, `delete`, `status_change`, …
    #[param(max_length = 200)]
    pub action: Option<String>,
}

impl ListFilter for AuditParams {
    type Query = AuditQuery;
    fn read(p: &mut QueryParams) -> AuditQuery {
        AuditQuery {
            entity_type: p.text("entity_type"),
            entity_id: p.id("entity_id"),
            actor_id: p.id("actor_id"),
            action: p.text("action"),
            actions: Vec::new(),
            paging: p.paging(),
        }
    }
}

/// The `If-Match` header of writes (read by `extract::IfMatch`; declared here for the document).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchParam {
    /// The ETag of the version being changed, e.g. `"3"` (or send a `version` instead).
    #[param(
        rename = "if-match",
        nullable = false,
        pattern = r#"^(W/)?("[1-9][0-9]{0,17}"|[1-9][0-9]{0,17})$"#
    )]
    pub if_match: Option<String>,
}

/// The version being deleted, for clients that cannot send `If-Match`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version being deleted (alternative to `If-Match`).
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

impl ListFilter for VersionParam {
    type Query = Option<i64>;
    fn read(p: &mut QueryParams) -> Option<i64> {
        p.value("version", "must be a whole number")
    }
}
