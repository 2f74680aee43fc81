-- Photos: server-made copies of JPEG and PNG attachments, and retry-safe uploads.
--
-- An image attachment keeps its original file (evidence, with its EXIF and GPS data, for the
-- team) and gains two copies made by the server: a display copy (upright, at most 2048 px,
-- re-encoded without any metadata) and a thumbnail (at most 320 px, the same rules). Client
-- users are only ever served the copies. The keys are NULL for every other file and for
-- images attached before this migration (their copies are made when first asked for).
-- `image_width` and `image_height` are the display copy's size in pixels.
ALTER TABLE attachments ADD COLUMN display_key text;
ALTER TABLE attachments ADD COLUMN thumb_key text;
ALTER TABLE attachments ADD COLUMN image_width bigint;
ALTER TABLE attachments ADD COLUMN image_height bigint;

-- A deleted attachment's copies are removed with its file.
CREATE FUNCTION note_deleted_attachment_files() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_files (blob_key) VALUES (OLD.blob_key) ON CONFLICT DO NOTHING;
    IF OLD.display_key IS NOT NULL THEN
        INSERT INTO deleted_files (blob_key) VALUES (OLD.display_key) ON CONFLICT DO NOTHING;
    END IF;
    IF OLD.thumb_key IS NOT NULL THEN
        INSERT INTO deleted_files (blob_key) VALUES (OLD.thumb_key) ON CONFLICT DO NOTHING;
    END IF;
    RETURN OLD;
END
$$;
DROP TRIGGER attachments_file_deleted ON attachments;
CREATE TRIGGER attachments_file_deleted AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION note_deleted_attachment_files();

-- Idempotency keys: a request that creates something (an upload, a comment with files) may
-- carry a key of the client's choosing; the same key sent again by the same user within
-- 24 hours is answered with what the first request created, and nothing new is made.
-- `request_hash` is a hash of what the request asked for, so the same key with another
-- payload is refused. A row whose `record_id` is NULL is a request still being handled (or
-- one that failed before its claim was released). Rows older than 24 hours are deleted by
-- the periodic clean-up; they are never dumped (short-lived, like sessions).
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash text NOT NULL,
    record_kind  text NOT NULL,
    record_id    uuid,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
