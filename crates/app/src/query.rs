//! List queries: paging, sorting and the filters each list accepts.

use formula_domain::client::ClientStatus;
use formula_domain::project::ProjectStatus;
use formula_domain::scope::ScopeStatus;
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, UserStatus};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 200;
/// Page size when none is given.
pub const DEFAULT_LIMIT: u32 = 50;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    pub offset: u64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl Paging {
    /// Builds paging from a 1-based page number and a limit, checking both.
    pub fn new(
        page: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Paging, formula_domain::errors::FieldErrors> {
        let mut errors = formula_domain::errors::FieldErrors::new();
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
        }
        let page = page.unwrap_or(1);
        if page == 0 || page > 1_000_000 {
            errors.add("page", "must be between 1 and 1000000");
        }
        errors.into_result()?;
        Ok(Paging {
            limit,
            offset: (page - 1) * u64::from(limit),
        })
    }

    pub fn page(&self) -> u64 {
        self.offset / u64::from(self.limit.max(1)) + 1
    }
}

/// One page of a list plus what is needed to page through it.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u64,
    pub limit: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, paging: Paging) -> Self {
        Page {
            items,
            total,
            page: paging.page(),
            limit: paging.limit,
        }
    }
    pub fn pages(&self) -> u64 {
        (self.total.max(0) as u64)
            .div_ceil(u64::from(self.limit.max(1)))
            .max(1)
    }
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            limit: self.limit,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dir {
    #[default]
    Asc,
    Desc,
}

/// Parses `sort` values like `name` or `-due_date` against an allow-list.
pub fn parse_sort<T: Copy>(
    input: Option<&str>,
    allowed: &[(&str, T)],
    default: (T, Dir),
) -> Result<(T, Dir), String> {
    let Some(raw) = input.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(default);
    };
    let (dir, key) = match raw.strip_prefix('-') {
        Some(k) => (Dir::Desc, k),
        None => (Dir::Asc, raw),
    };
    allowed
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, v)| (*v, dir))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            format!(
                "must be one of {} (prefix with - for descending)",
                names.join(", ")
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    Name,
    Email,
    Role,
    CreatedAt,
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub sort: Option<(UserSort, Dir)>,
    pub paging: Paging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSort {
    Name,
    Status,
    CreatedAt,
}

#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    pub q: Option<String>,
    pub status: Option<ClientStatus>,
    pub sort: Option<(ClientSort, Dir)>,
    pub paging: Paging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectSort {
    Code,
    Name,
    Status,
    EndDate,
    CreatedAt,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectQuery {
    pub q: Option<String>,
    pub status: Option<ProjectStatus>,
    pub client_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub sort: Option<(ProjectSort, Dir)>,
    pub paging: Paging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSort {
    DueDate,
    Priority,
    Status,
    Title,
    CreatedAt,
    /// Undated (not completed) last.
    CompletedAt,
}

#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub project_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub status: Option<TaskStatus>,
    /// Only tasks that are not completed or cancelled.
    pub open_only: bool,
    pub due_before: Option<Date>,
    /// Only tasks due on or after this day.
    pub due_from: Option<Date>,
    /// Only tasks without a due date.
    pub undated: bool,
    pub completed_since: Option<time::OffsetDateTime>,
    pub q: Option<String>,
    pub sort: Option<(TaskSort, Dir)>,
    pub paging: Paging,
    // ---- Task features (migration 0046): keep these last. ----
    /// Only tasks carrying this label.
    pub label_id: Option<Uuid>,
    /// Only the subtasks of this task.
    pub parent_id: Option<Uuid>,
    /// Only tasks for a scope item in a room of this level, or on a room type with rooms
    /// there (as the scope's and the workshop board's level filters count them).
    pub level_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    /// Any of these actions (none: any action).
    pub actions: Vec<String>,
    pub paging: Paging,
}

/// Filters of one project's scope items. Items always come in Scope-tab order: by group
/// position, then position within the group.
#[derive(Debug, Clone, Default)]
pub struct ScopeQuery {
    pub project_id: Uuid,
    pub group_id: Option<Uuid>,
    pub status: Option<ScopeStatus>,
    /// Substring of the code, name or location.
    pub q: Option<String>,
    /// Items in a room of this building, level or room, or on a room type with rooms there.
    pub building_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub room_id: Option<Uuid>,
    /// Items placed on this room type.
    pub room_type_id: Option<Uuid>,
    pub paging: Paging,
}

impl ScopeQuery {
    /// Every item of a project (the Scope tab, totals, exports).
    pub fn all(project_id: Uuid) -> Self {
        ScopeQuery {
            project_id,
            paging: Paging {
                limit: u32::MAX,
                offset: 0,
            },
            ..Default::default()
        }
    }
}
