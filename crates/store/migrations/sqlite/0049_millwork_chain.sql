-- The millwork chain (issue 20): a task generated from the company's workflow template for
-- a scope item says which step of the item's chain it is, once per item and step.
--
-- The hand-typed "needed on site" date of specifications is superseded by the items'
-- installation dates, which the chain works back from: an item without an installation
-- date takes the earliest needed-on-site date of the specifications linked to it.

ALTER TABLE tasks ADD COLUMN chain_step TEXT CHECK (chain_step IN ('site_measure', 'shop_drawing',
    'client_approval', 'material_spec', 'spec_approval', 'procurement', 'production', 'delivery',
    'installation'));
CREATE UNIQUE INDEX tasks_chain_step_key ON tasks (scope_item_id, chain_step)
    WHERE chain_step IS NOT NULL AND scope_item_id IS NOT NULL;

UPDATE scope_items SET install_on = (
    SELECT MIN(s.needed_on) FROM spec_scope_items l JOIN specs s ON s.id = l.spec_id
    WHERE l.scope_item_id = scope_items.id)
WHERE install_on IS NULL;
