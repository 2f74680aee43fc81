//! The "Places" card of a drawing or a specification: the rooms, levels and room types it
//! refers to, and (for those who keep it) a field to set them by code.

use formula_app::places::Place;

/// What the card shows.
pub struct PlacesCard {
    /// Where the form posts (`/drawings/{id}/places`).
    pub action: String,
    pub places: Vec<Place>,
    pub can_manage: bool,
}

impl PlacesCard {
    /// The codes as the form's field holds them.
    pub fn codes(&self) -> String {
        self.places
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A place's kind in words.
    pub fn kind_label(place: &Place) -> &'static str {
        match place.kind.as_str() {
            "building" => "building",
            "level" => "level",
            "zone" => "zone",
            "room" => "room",
            _ => "room type",
        }
    }
}
