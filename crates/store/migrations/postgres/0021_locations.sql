-- A project's physical structure: buildings → levels → zones (optional) → rooms, and room
-- types ("King guest room") whose rooms are its instances. A scope item is placed in one
-- room, or on a room type with a quantity per room.
--
-- The tree's own references (parent, building, level) carry no foreign key: a backup loads
-- rows in id order, and a restore must not depend on every parent having the smaller id.
-- The services keep them right (a location keeps its parent; one with children or in use is
-- not deleted). Codes are unique per project across the whole tree, so a code names one place.

CREATE TABLE room_types (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    code        text NOT NULL,
    name        text NOT NULL,
    description text,
    position    bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL
);
CREATE UNIQUE INDEX room_types_code_key ON room_types (project_id, lower(code));

CREATE TABLE locations (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('building', 'level', 'zone', 'room')),
    parent_id    uuid,
    -- The building and level above (a level's building is its parent), so lists filter by
    -- building or level with one comparison and rooms group by level without walking the tree.
    building_id  uuid,
    level_id     uuid,
    -- Rooms only: the type this room is an instance of.
    room_type_id uuid REFERENCES room_types (id),
    code         text NOT NULL,
    name         text NOT NULL,
    position     bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL,
    CHECK (room_type_id IS NULL OR kind = 'room'),
    CHECK ((kind = 'building') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX locations_code_key ON locations (project_id, lower(code));
CREATE INDEX locations_parent_idx ON locations (parent_id, position);
CREATE INDEX locations_level_idx ON locations (level_id, kind);
-- Rooms of a type are counted for every room-type item's quantity.
CREATE INDEX locations_room_type_idx ON locations (room_type_id);

-- Placement. `quantity_milli` stays the item's effective quantity (for a room-type item:
-- quantity per room × rooms of the type, kept up to date in the transaction that changes
-- either), so every total, rollup and export that reads it counts every instance. The
-- free-text `location` is kept as it was: it stays visible until mapped to a room or type.
ALTER TABLE scope_items ADD COLUMN room_id uuid REFERENCES locations (id);
ALTER TABLE scope_items ADD COLUMN room_type_id uuid REFERENCES room_types (id);
ALTER TABLE scope_items ADD COLUMN quantity_per_room_milli bigint CHECK (quantity_per_room_milli >= 0);
CREATE INDEX scope_items_room_idx ON scope_items (room_id);
CREATE INDEX scope_items_room_type_idx ON scope_items (room_type_id);
