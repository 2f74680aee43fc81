//! The places (locations and room types) that drawings and specifications refer to.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use uuid::Uuid;

use crate::error::AppResult;

/// Which kind of record refers to places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacesOf {
    Drawing,
    Spec,
}

impl PlacesOf {
    /// The link table and its record column.
    pub fn table(self) -> (&'static str, &'static str) {
        match self {
            PlacesOf::Drawing => ("drawing_places", "drawing_id"),
            PlacesOf::Spec => ("spec_places", "spec_id"),
        }
    }
}

/// References from drawings and specifications to places. The services check that every
/// place is one of the record's project's locations or room types.
#[async_trait]
pub trait PlaceRepo: Send + Sync {
    /// The places one record refers to.
    async fn record_places(&self, of: PlacesOf, record_id: Uuid) -> AppResult<Vec<Uuid>>;
    /// Every (record, place) pair of a project's drawings or specifications.
    async fn project_record_places(
        &self,
        of: PlacesOf,
        project_id: Uuid,
    ) -> AppResult<Vec<(Uuid, Uuid)>>;
    /// Replaces the places a record refers to, with its audit entry, in one transaction.
    async fn set_record_places(
        &self,
        of: PlacesOf,
        record_id: Uuid,
        place_ids: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<()>;
}
