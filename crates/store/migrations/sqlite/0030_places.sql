-- Drawings and material specifications refer to places: a location (a building, level,
-- zone or room) or a room type — "typical King room joinery", "Level 3 ceiling plan",
-- "lobby stone". `place_id` is the id of one of the project's locations or room types (the
-- services check which); it carries no foreign key because it may be either, so deleting a
-- location or a room type removes the references to it here (triggers below), and deleting a
-- drawing or a specification removes its own.
CREATE TABLE drawing_places (
    drawing_id BLOB NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    place_id   BLOB NOT NULL,
    PRIMARY KEY (drawing_id, place_id)
) STRICT;
CREATE INDEX drawing_places_place_idx ON drawing_places (place_id);

CREATE TABLE spec_places (
    spec_id  BLOB NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    place_id BLOB NOT NULL,
    PRIMARY KEY (spec_id, place_id)
) STRICT;
CREATE INDEX spec_places_place_idx ON spec_places (place_id);

CREATE TRIGGER locations_places_deleted AFTER DELETE ON locations
BEGIN
    DELETE FROM drawing_places WHERE place_id = OLD.id;
    DELETE FROM spec_places WHERE place_id = OLD.id;
END;

CREATE TRIGGER room_types_places_deleted AFTER DELETE ON room_types
BEGIN
    DELETE FROM drawing_places WHERE place_id = OLD.id;
    DELETE FROM spec_places WHERE place_id = OLD.id;
END;
