-- Attachments on projects, tasks, scope items, drawings and specifications, and the files
-- waiting to be removed from storage. Every row that owns a file notes its key in
-- deleted_files when it goes, whatever removed it (a user, or the deletion of what it was
-- attached to), in the same transaction; the server then removes those files and forgets
-- the keys. So no file outlives its last record, and none is removed while a record needs it.

CREATE TABLE attachments (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind  text NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec')),
    owner_id    uuid NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('document', 'photo', 'sample')),
    caption     text,
    file_name   text NOT NULL,
    file_size   bigint NOT NULL CHECK (file_size > 0),
    file_sha256 text NOT NULL,
    file_mime   text NOT NULL,
    blob_key    text NOT NULL,
    uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX attachments_blob_key ON attachments (blob_key);
CREATE INDEX attachments_owner_idx ON attachments (owner_id, uploaded_at);
CREATE INDEX attachments_project_idx ON attachments (project_id);

CREATE TABLE deleted_files (
    blob_key text PRIMARY KEY
);

CREATE FUNCTION note_deleted_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_files (blob_key) VALUES (OLD.blob_key) ON CONFLICT DO NOTHING;
    RETURN OLD;
END
$$;

CREATE TRIGGER attachments_file_deleted AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION note_deleted_file();

CREATE TRIGGER drawing_revisions_file_deleted AFTER DELETE ON drawing_revisions
    FOR EACH ROW EXECUTE FUNCTION note_deleted_file();

-- What an attachment belongs to may be deleted on its own; its attachments go with it.
-- The owner kind is the trigger's argument.
CREATE FUNCTION delete_owned_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM attachments WHERE owner_kind = TG_ARGV[0] AND owner_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER tasks_attachments_deleted AFTER DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('task');

CREATE TRIGGER scope_items_attachments_deleted AFTER DELETE ON scope_items
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('scope_item');

CREATE TRIGGER drawings_attachments_deleted AFTER DELETE ON drawings
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('drawing');

CREATE TRIGGER specs_attachments_deleted AFTER DELETE ON specs
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('spec');
