//! Builders for domain values, and assertions shared by the cases.

use formula_app::error::AppError;
use formula_app::query::Paging;
use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::client::{Client, ClientStatus};
use formula_domain::drawing::{Drawing, DrawingKind, Revision, RevisionScheme, RevisionStatus};
use formula_domain::enums::Priority;
use formula_domain::files::FileInfo;
use formula_domain::money::Money;
use formula_domain::project::{BusinessLine, Project, ProjectStatus, Sector};
use formula_domain::scope::{Quantity, ScopeGroup, ScopeItem, ScopeStatus};
use formula_domain::spec::{Spec, SpecCategory, SpecStatus};
use formula_domain::task::{Task, TaskStatus};
use formula_domain::user::{Role, User, UserStatus};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// Now, at the precision the store keeps (microseconds), so values round-trip exactly.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap()
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn user(email: &str, name: &str, role: Role) -> User {
    let at = now();
    User {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        name: name.to_owned(),
        role,
        job_title: Some("Site lead".into()),
        phone: None,
        skills: vec!["joinery".into(), "CNC".into()],
        status: UserStatus::Active,
        client_id: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

pub fn client(name: &str) -> Client {
    let at = now();
    Client {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        client_type: Some("Hotel group".into()),
        status: ClientStatus::Active,
        address: None,
        website: Some("https://example.com".into()),
        notes: None,
        project_count: 0,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

pub fn project(code: &str, name: &str, client: &Client, manager: &User) -> Project {
    let at = now();
    Project {
        id: Uuid::now_v7(),
        code: code.to_owned(),
        name: name.to_owned(),
        client_id: client.id,
        client_name: client.name.clone(),
        sector: Sector::Hospitality,
        business_line: BusinessLine::Millwork,
        priority: Priority::High,
        status: ProjectStatus::OnTender,
        manager_id: manager.id,
        manager_name: manager.name.clone(),
        start_date: Some(today() - days(30)),
        end_date: Some(today() + days(60)),
        contract_value: Some(Money {
            amount_minor: 1_234_567,
            currency: "USD".into(),
        }),
        budget: None,
        currency: "USD".into(),
        location: Some("Dubai Marina".into()),
        contract_number: Some("C-1".into()),
        description: None,
        task_total: 0,
        task_completed: 0,
        task_overdue: 0,
        scope_items: 0,
        progress: Some(0),
        created_at: at,
        updated_at: at,
        updated_by_name: Some(manager.name.clone()),
        version: 1,
    }
}

pub fn task(
    project: &Project,
    title: &str,
    status: TaskStatus,
    progress: i32,
    due: Option<Date>,
) -> Task {
    let at = now();
    Task {
        id: Uuid::now_v7(),
        project_id: project.id,
        project_code: project.code.clone(),
        project_name: project.name.clone(),
        title: title.to_owned(),
        description: Some("Shop drawing rev B".into()),
        status,
        priority: Priority::Medium,
        assignee_id: None,
        assignee_name: None,
        start_date: None,
        due_date: due,
        estimated_hours: Some(12.5),
        actual_hours: None,
        progress,
        completed_at: (status == TaskStatus::Completed).then_some(at),
        created_at: at,
        updated_at: at,
        updated_by_name: None,
        version: 1,
        is_milestone: false,
        constraint_kind: None,
        constraint_on: None,
        scope_item_id: None,
        parent_id: None,
        labels: Vec::new(),
        checklist_done: 0,
        checklist_total: 0,
        subtask_count: 0,
    }
}

/// An audit entry for `action` on an entity, made by `actor` (or the system).
pub fn audit(
    actor: Option<&User>,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    label: &str,
) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        at: now(),
        actor_id: actor.map(|a| a.id),
        actor_name: Some(actor.map_or_else(|| "system".to_owned(), |a| a.name.clone())),
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id,
        entity_label: label.to_owned(),
        changes: vec![FieldChange {
            field: "name".into(),
            old: serde_json::Value::Null,
            new: serde_json::json!(label),
        }],
        request_id: Some("req-1".into()),
        ip: Some("127.0.0.1".into()),
        user_agent: Some("tests".into()),
        project_id: None,
    }
}

/// Asserts a `duplicate` conflict on `field`.
pub fn assert_duplicate(err: AppError, field: &str) {
    match err {
        AppError::Conflict {
            code: "duplicate",
            fields,
            message,
        } => {
            assert_eq!(fields.0.len(), 1, "{message}");
            assert_eq!(fields.0[0].field, field, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected a duplicate conflict on {field}, got {other:?}"),
    }
}

/// Asserts a stale-version error and returns its details.
pub fn assert_stale(err: AppError) -> (i64, Option<String>) {
    match err {
        AppError::Stale {
            current_version,
            updated_by,
            updated_at,
        } => {
            assert!(updated_at.is_some());
            (current_version, updated_by)
        }
        other => panic!("expected a stale-version error, got {other:?}"),
    }
}

/// A scope group of `project` at `position`.
pub fn scope_group(project: &Project, name: &str, letter: &str, position: i64) -> ScopeGroup {
    let at = now();
    ScopeGroup {
        id: Uuid::now_v7(),
        project_id: project.id,
        name: name.into(),
        letter: letter.into(),
        position,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

/// A priced scope item: `quantity` whole units at `price` minor units.
pub fn scope_item(
    group: &ScopeGroup,
    code: &str,
    quantity: i64,
    price: Option<i64>,
    progress: i32,
) -> ScopeItem {
    let at = now();
    let q = Quantity::units(quantity);
    ScopeItem {
        id: Uuid::now_v7(),
        project_id: group.project_id,
        group_id: group.id,
        group_name: group.name.clone(),
        code: code.into(),
        name: format!("Item {code}"),
        description: None,
        location: Some("Lobby".into()),
        quantity: q,
        unit: "pcs".into(),
        unit_price_minor: price,
        total_minor: price.and_then(|p| q.times(p)),
        budget_cost_minor: None,
        actual_cost_minor: None,
        currency: "USD".into(),
        status: ScopeStatus::InProgress,
        progress,
        drawing_required: true,
        spec_required: false,
        position: 0,
        created_at: at,
        updated_at: at,
        updated_by_name: None,
        version: 1,
        released_at: None,
        released_by_name: None,
        release_note: None,
        install_on: None,
        placement: Default::default(),
    }
}

/// A drawing of `project` numbered `number`, covering `items`.
pub fn drawing(project: &Project, number: &str, items: Vec<Uuid>) -> Drawing {
    let at = now();
    Drawing {
        id: Uuid::now_v7(),
        project_id: project.id,
        number: number.into(),
        title: format!("Drawing {number}"),
        kind: DrawingKind::Elevation,
        area: Some("Lobby".into()),
        scheme: RevisionScheme::Letters,
        current: None,
        approved: None,
        shared: None,
        scope_item_ids: items,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

/// The `seq`-th revision of a drawing, as uploaded (a draft).
pub fn revision(d: &Drawing, seq: i64) -> Revision {
    let id = Uuid::now_v7();
    Revision {
        id,
        drawing_id: d.id,
        project_id: d.project_id,
        seq,
        label: formula_domain::drawing::revision_label(d.scheme, u32::try_from(seq).unwrap()),
        status: RevisionStatus::Draft,
        notes: Some("For review".into()),
        file: FileInfo {
            name: format!("{} rev.pdf", d.number),
            size: 1234,
            sha256: "ab".repeat(32),
            mime: "application/pdf".into(),
        },
        blob_key: format!("drawings/{}/{id}", d.project_id),
        uploaded_by_name: None,
        uploaded_at: now(),
        submitted_at: None,
        decided_at: None,
        version: 1,
    }
}

/// A draft specification of `project`.
pub fn spec(project: &Project, code: &str) -> Spec {
    let at = now();
    Spec {
        id: Uuid::now_v7(),
        project_id: project.id,
        code: code.into(),
        description: "Walnut veneer, book-matched".into(),
        category: SpecCategory::Veneer,
        material: Some("Walnut".into()),
        finish: Some("Matt lacquer".into()),
        colour: None,
        dimensions: Some("2500 × 1250".into()),
        hardware: None,
        quantity: Quantity(12_500),
        unit: "m²".into(),
        unit_cost_minor: Some(8_000),
        total_minor: Some(100_000),
        currency: "USD".into(),
        supplier: Some("Veneer Co".into()),
        supplier_contact: None,
        supplier_id: None,
        supplier_name: None,
        supplier_contact_id: None,
        supplier_contact_name: None,
        part_number: Some("WV-22".into()),
        lead_time_days: Some(21),
        location: Some("Lobby".into()),
        phase: Some("First fix".into()),
        needed_on: Some(today()),
        status: SpecStatus::Draft,
        procurement: None,
        po_number: None,
        order_date: None,
        expected_delivery: None,
        delivered_quantity: Quantity(0),
        scope_item_ids: vec![],
        drawing_ids: vec![],
        created_at: at,
        updated_at: at,
        updated_by_name: None,
        version: 1,
    }
}

/// An attachment on `owner` of `project`.
pub fn attachment(
    project: &Project,
    kind: formula_domain::attachment::OwnerKind,
    owner: Uuid,
    name: &str,
) -> formula_domain::attachment::Attachment {
    let id = Uuid::now_v7();
    formula_domain::attachment::Attachment {
        id,
        project_id: project.id,
        owner_kind: kind,
        owner_id: owner,
        purpose: formula_domain::attachment::Purpose::Document,
        caption: Some("From site".into()),
        file: FileInfo {
            name: name.to_owned(),
            size: 42,
            sha256: "cd".repeat(32),
            mime: "application/pdf".into(),
        },
        blob_key: formula_domain::attachment::Attachment::blob_key_for(project.id, id),
        uploaded_by_name: None,
        uploaded_at: now(),
        image: None,
    }
}

/// Page `page` of `limit` rows.
pub fn paging(limit: u32, page: u64) -> Paging {
    Paging::new(Some(page), Some(limit)).unwrap()
}

/// The codes of a page of projects, in order.
pub fn codes(page: &formula_app::query::Page<formula_domain::project::Project>) -> Vec<&str> {
    page.items.iter().map(|p| p.code.as_str()).collect()
}
