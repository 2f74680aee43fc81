-- The company's workflow template: the steps of the millwork chain it uses, each with its
-- working days (procurement takes the material's lead time instead, its days are 0). No rows:
-- the standard template. Saved whole; every row carries the template's version and who saved
-- it, so a save is compare-and-set like the working calendar's.
CREATE TABLE workflow_steps (
    step         TEXT PRIMARY KEY NOT NULL CHECK (step IN ('site_measure', 'shop_drawing',
                     'client_approval', 'material_spec', 'spec_approval', 'procurement',
                     'production', 'delivery', 'installation')),
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 0 AND 250),
    updated_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL
) STRICT;
