-- The company's own details, printed as the letterhead of every document (scope, purchase
-- orders, variations, delivery notes): one row, id 1, written the first time an
-- administrator saves them. The logo is a file in the blob store under `logo_key`.
CREATE TABLE company_settings (
    id             integer PRIMARY KEY CHECK (id = 1),
    name           text NOT NULL,
    address        text,
    tax_number     text,
    phone          text,
    email          text,
    website        text,
    document_terms text,
    logo_key       text,
    logo_mime      text,
    updated_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL
);
CREATE INDEX company_settings_updated_by_idx ON company_settings (updated_by);
