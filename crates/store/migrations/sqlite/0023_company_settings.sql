-- The company's own details, printed as the letterhead of every document (scope, purchase
-- orders, variations, delivery notes): one row, id 1, written the first time an
-- administrator saves them. The logo is a file in the blob store under `logo_key`.
CREATE TABLE company_settings (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    name           TEXT NOT NULL,
    address        TEXT,
    tax_number     TEXT,
    phone          TEXT,
    email          TEXT,
    website        TEXT,
    document_terms TEXT,
    logo_key       TEXT,
    logo_mime      TEXT,
    updated_by     BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL
) STRICT;
CREATE INDEX company_settings_updated_by_idx ON company_settings (updated_by);
