-- Today's purchase-order fields of specifications become real purchase orders.
--
-- Every specification with a PO number, or whose procurement is ordered, partially
-- delivered, delivered or installed, becomes a line of a purchase order: one order per
-- project, PO number (trimmed) and supplier; a specification without a number gets an order
-- of its own. The supplier is the specification's (`supplier_id`, set by 0034); one without
-- gets "Unknown supplier (migrated)". A line orders the specification's quantity (one unit
-- when it has none) of its unit at its unit cost, required by its expected delivery.
-- What was delivered becomes one goods receipt per order (dated the expected delivery, else
-- the order date, else the day the specification was last changed), and the order is sent,
-- partially received or received by it. A delivered or installed specification counts as
-- fully delivered. A delivery above the quantity is kept, with the reason "recorded before
-- purchase orders".
-- The order keeps the old number when no other order would carry it; the others are
-- numbered `PO-<year>-<seq>` from `po_sequences` (the year of the order date, else of the
-- specification's creation), which is moved on past them.
-- Ids are taken from the first specification of each order (orders, receipts) and from the
-- specification itself (lines), as 0034 does for suppliers: distinct tables, no random
-- functions, the same on both backends. The specifications keep their old fields.

CREATE TABLE po_migration_lines AS
SELECT s.id AS spec_id,
       s.project_id,
       CASE WHEN s.po_number IS NULL OR btrim(s.po_number) = '' THEN NULL ELSE btrim(s.po_number) END AS old_number,
       s.supplier_id,
       s.code || ' ' || s.description AS description,
       CASE WHEN s.quantity_milli > 0 THEN s.quantity_milli ELSE 1000 END AS quantity_milli,
       CASE WHEN s.procurement IN ('delivered', 'installed')
            THEN GREATEST(s.delivered_milli, CASE WHEN s.quantity_milli > 0 THEN s.quantity_milli ELSE 1000 END)
            ELSE s.delivered_milli END AS received_milli,
       s.unit,
       COALESCE(s.unit_cost_minor, 0) AS unit_price_minor,
       s.expected_delivery AS required_on,
       COALESCE(s.expected_delivery, s.order_date, (s.updated_at AT TIME ZONE 'UTC')::date) AS received_on,
       p.currency,
       s.created_at,
       s.updated_at,
       s.updated_by,
       CAST(EXTRACT(YEAR FROM COALESCE(s.order_date, (s.created_at AT TIME ZONE 'UTC')::date)) AS INTEGER) AS year
FROM specs s JOIN projects p ON p.id = s.project_id
WHERE (s.po_number IS NOT NULL AND btrim(s.po_number) <> '')
   OR s.procurement IN ('ordered', 'partially_delivered', 'delivered', 'installed');

INSERT INTO suppliers (id, name, categories, archived, created_at, updated_at, version)
SELECT (array_agg(l.spec_id ORDER BY l.spec_id))[1], 'Unknown supplier (migrated)', '', 0, MIN(l.created_at), MIN(l.created_at), 1
FROM po_migration_lines l
WHERE l.supplier_id IS NULL
HAVING COUNT(*) > 0
   AND NOT EXISTS (SELECT 1 FROM suppliers x WHERE lower(x.name) = 'unknown supplier (migrated)');

UPDATE po_migration_lines
SET supplier_id = (SELECT x.id FROM suppliers x WHERE lower(x.name) = 'unknown supplier (migrated)')
WHERE supplier_id IS NULL;

-- One order per project, old number and supplier (a line without a number: its own).
CREATE TABLE po_migration_orders AS
SELECT (array_agg(l.spec_id ORDER BY l.spec_id))[1] AS po_id,
       l.project_id,
       MIN(l.old_number) AS old_number,
       l.supplier_id,
       MIN(l.currency) AS currency,
       MIN(l.year) AS year,
       MIN(l.required_on) AS required_on,
       MIN(l.created_at) AS created_at,
       MAX(l.updated_at) AS updated_at,
       MAX(l.received_on) AS received_on,
       CAST(SUM(CASE WHEN l.received_milli > 0 THEN 1 ELSE 0 END) AS BIGINT) AS lines_received,
       CAST(SUM(CASE WHEN l.received_milli >= l.quantity_milli THEN 1 ELSE 0 END) AS BIGINT) AS lines_full,
       COUNT(*) AS lines
FROM po_migration_lines l
GROUP BY l.project_id, COALESCE(l.old_number, l.spec_id::text), l.supplier_id;

CREATE TABLE po_migration_numbers AS
SELECT o.po_id,
       CASE WHEN o.old_number IS NOT NULL
             AND (SELECT COUNT(*) FROM po_migration_orders o2 WHERE o2.old_number = o.old_number) = 1
             AND NOT EXISTS (SELECT 1 FROM purchase_orders x WHERE x.number = o.old_number)
            THEN o.old_number END AS kept,
       o.year
FROM po_migration_orders o;

CREATE TABLE po_migration_fresh AS
SELECT n.po_id, n.year,
       COALESCE((SELECT q.last FROM po_sequences q WHERE q.year = n.year), 0)
         + CAST(ROW_NUMBER() OVER (PARTITION BY n.year ORDER BY n.po_id) AS INTEGER) AS seq
FROM po_migration_numbers n
WHERE n.kept IS NULL;

INSERT INTO po_sequences (year, last)
SELECT year, MAX(seq) FROM po_migration_fresh GROUP BY year
ON CONFLICT (year) DO UPDATE SET last = excluded.last;

INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, total_minor,
    required_on, notes, created_at, sent_at, updated_at, version)
SELECT o.po_id, o.project_id, o.supplier_id,
       COALESCE(n.kept, 'PO-' || f.year || '-' || lpad(f.seq::text, 4, '0')),
       CASE WHEN o.lines_full = o.lines THEN 'received'
            WHEN o.lines_received > 0 THEN 'partially_received'
            ELSE 'sent' END,
       o.currency,
       (SELECT CAST(COALESCE(SUM((l.quantity_milli * l.unit_price_minor + 500) / 1000), 0) AS BIGINT)
          FROM po_migration_lines l
         WHERE l.project_id = o.project_id AND l.supplier_id = o.supplier_id
           AND COALESCE(l.old_number, l.spec_id::text) = COALESCE(o.old_number, o.po_id::text)),
       o.required_on,
       'Migrated from the PO number of the specifications',
       o.created_at, o.created_at, o.updated_at, 1
FROM po_migration_orders o
JOIN po_migration_numbers n ON n.po_id = o.po_id
LEFT JOIN po_migration_fresh f ON f.po_id = o.po_id;

INSERT INTO purchase_order_lines (id, purchase_order_id, position, spec_id, description,
    quantity_milli, unit, unit_price_minor, total_minor, required_on, received_milli, received_on)
SELECT l.spec_id, o.po_id,
       ROW_NUMBER() OVER (PARTITION BY o.po_id ORDER BY l.spec_id),
       l.spec_id, l.description, l.quantity_milli, l.unit, l.unit_price_minor,
       (l.quantity_milli * l.unit_price_minor + 500) / 1000,
       l.required_on, l.received_milli,
       CASE WHEN l.received_milli > 0 THEN l.received_on END
FROM po_migration_lines l
JOIN po_migration_orders o
  ON o.project_id = l.project_id AND o.supplier_id = l.supplier_id
 AND COALESCE(o.old_number, o.po_id::text) = COALESCE(l.old_number, l.spec_id::text);

INSERT INTO goods_receipts (id, purchase_order_id, received_on, received_by_name, note, recorded_at)
SELECT o.po_id, o.po_id, o.received_on, 'Recorded before purchase orders',
       'Migrated from the delivered quantity of the specifications', o.updated_at
FROM po_migration_orders o
WHERE o.lines_received > 0;

INSERT INTO goods_receipt_lines (receipt_id, line_id, quantity_milli, over_delivery_reason)
SELECT pl.purchase_order_id, pl.id, pl.received_milli,
       CASE WHEN pl.received_milli > pl.quantity_milli THEN 'Recorded before purchase orders' END
FROM purchase_order_lines pl
JOIN po_migration_lines l ON l.spec_id = pl.id
WHERE pl.received_milli > 0;

DROP TABLE po_migration_fresh;
DROP TABLE po_migration_numbers;
DROP TABLE po_migration_orders;
DROP TABLE po_migration_lines;
