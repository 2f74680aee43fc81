-- Mail with files attached (an RFI's PDF to its outside addressee; purchase orders later).
-- The `send_email` job's payload names the stored files (blob keys, with the name and type
-- the mail gives them); the outbox records the names of the files each mail carried, one
-- per line, so the team can see what went out. NULL: none.
ALTER TABLE mail_outbox ADD COLUMN attachments TEXT;
