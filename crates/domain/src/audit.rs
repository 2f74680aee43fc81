//! Audit records: who changed what, when, from where.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// One field's change, old → new, as JSON values.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    /// Any JSON value: a string, a number, a boolean, null, a list or an object.
    #[schema(value_type = Value)]
    pub old: serde_json::Value,
    /// Any JSON value, like `old`.
    #[schema(value_type = Value)]
    pub new: serde_json::Value,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// `create`, `update`, `delete`, `status_change`, `login`, …
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// Short human label of the entity (code, name or title) at the time.
    pub entity_label: String,
    pub changes: Vec<FieldChange>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The project the change belongs to, for its activity feed (absent for users, clients
    /// and the system, and on entries written before migration 0019 about records since
    /// deleted).
    pub project_id: Option<Uuid>,
}

impl AuditEntry {
    /// The same entry, filed under `project_id`'s activity feed.
    pub fn in_project(mut self, project_id: Uuid) -> Self {
        self.project_id = Some(project_id);
        self
    }
}

/// Lists the top-level fields that differ between two JSON objects.
pub fn diff(old: &serde_json::Value, new: &serde_json::Value, ignore: &[&str]) -> Vec<FieldChange> {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !ignore.contains(&k.as_str()))
        .filter_map(|k| {
            let a = o.get(k).cloned().unwrap_or(serde_json::Value::Null);
            let b = n.get(k).cloned().unwrap_or(serde_json::Value::Null);
            (a != b).then(|| FieldChange {
                field: k.clone(),
                old: a,
                new: b,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let d = diff(
            &json!({"a": 1, "b": "x", "version": 1}),
            &json!({"a": 2, "b": "x", "version": 2}),
            &["version"],
        );
        assert_eq!(
            d,
            vec![FieldChange {
                field: "a".into(),
                old: json!(1),
                new: json!(2)
            }]
        );
    }
}
