//! A project's locations (buildings, levels, zones, rooms) and room types.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::location::{Location, RoomType};
use uuid::Uuid;

use crate::error::AppResult;

/// Locations and room types. Changes that alter how many rooms a type has (a room added,
/// deleted or given another type) also re-derive, in the same transaction, the quantity and
/// line total of every scope item placed on the types concerned.
#[async_trait]
pub trait LocationRepo: Send + Sync {
    /// The project's whole tree: buildings, levels, zones and rooms, each level's rooms
    /// after it, siblings in position order.
    async fn list_locations(&self, project_id: Uuid) -> AppResult<Vec<Location>>;
    async fn get_location(&self, id: Uuid) -> AppResult<Option<Location>>;
    /// Every location code of the project.
    async fn location_codes(&self, project_id: Uuid) -> AppResult<Vec<String>>;
    /// Inserts the locations in order (parents first; each appended after its siblings
    /// unless placed), all or none, with their audit entries; `duplicate` on `code`.
    async fn insert_locations(&self, locations: &[Location], audit: &[AuditEntry])
    -> AppResult<()>;
    /// Saves code, name, position and room type compare-and-set.
    async fn update_location(
        &self,
        location: &Location,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Location>;
    /// Deletes a location; `has_dependents`, saying what, while it holds other locations
    /// or scope items are placed in it.
    async fn delete_location(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// The project's room types in position order, each with its room count.
    async fn list_room_types(&self, project_id: Uuid) -> AppResult<Vec<RoomType>>;
    async fn get_room_type(&self, id: Uuid) -> AppResult<Option<RoomType>>;
    /// Inserts a room type (appended at the end); `duplicate` on `code`.
    async fn insert_room_type(&self, room_type: &RoomType, audit: &AuditEntry) -> AppResult<()>;
    async fn update_room_type(
        &self,
        room_type: &RoomType,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<RoomType>;
    /// The distinct free-text locations of the project's scope items that are placed
    /// nowhere yet, with how many items have each, in text order.
    async fn unmapped_locations(&self, project_id: Uuid) -> AppResult<Vec<(String, i64)>>;
    /// Places every item of the project whose free text is exactly `text` and that is placed
    /// nowhere: in `room_id`, or on `room_type_id` with its quantity as the quantity per
    /// room. The free text stays. Returns how many items were placed.
    async fn map_free_text(
        &self,
        project_id: Uuid,
        text: &str,
        room_id: Option<Uuid>,
        room_type_id: Option<Uuid>,
        audit: &AuditEntry,
    ) -> AppResult<u64>;
    /// Deletes a room type; `has_dependents`, saying what, while rooms are of it or scope
    /// items are placed on it.
    async fn delete_room_type(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
}
