-- Files on comments (photos from site, marked-up PDFs): an attachment whose owner is a
-- comment (`owner_kind = 'comment'`, `owner_id` the comment's id). It is shown and served
-- only to those who may read the comment, and goes with the comment when the discussed
-- record (or the project) is deleted. A soft-deleted comment keeps its files stored but
-- nobody is shown them. The previous version runs on this schema unchanged.

ALTER TABLE attachments DROP CONSTRAINT attachments_owner_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_kind_check
    CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment'));

-- Comments are deleted for good only with their record (or project); their files go too.
CREATE TRIGGER comments_attachments_deleted AFTER DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('comment');
