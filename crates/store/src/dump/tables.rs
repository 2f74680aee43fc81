//! The dumped tables: names, columns with their kinds, keys, and the order they load in.

use super::values::Kind;

/// One dumped table: its columns in schema order and its primary key (the dump order).
pub(super) struct Table {
    /// The table's name, which is also its archive entry's (`data/<name>.jsonl`).
    pub(super) name: &'static str,
    /// Every column, in the schema's order (the order of a dumped line's keys).
    pub(super) columns: &'static [(&'static str, Kind)],
    /// The primary key: rows are dumped in its order.
    pub(super) key: &'static [&'static str],
}

use Kind::{Date as D, Float as F, Int as I, Int4 as I4, Text as T, Ts as TS, Uuid as U};

/// Every dumped table, parents before the tables that reference them.
///
/// `sessions` (with their one-time `session_flashes`), `password_resets` and `invitations`
/// are left out on purpose: they are short-lived credentials, worthless after a move and
/// dangerous in an archive; a restore clears them (see [`CLEARED_NOT_DUMPED`]), everyone
/// signs in again and an administrator invites again whoever had not accepted yet.
/// So is `scheduler_leases`, which only says which running instance leads the scheduler, and
/// `signing_keys`: a restored installation signs its links with a key of its own.
///
/// A migration that adds a table or a column adds it here too (a table after the tables it
/// references); until it does, [`Db::dump_schema_mismatches`](crate::Db::dump_schema_mismatches)
/// names what is missing and a storage test fails on either backend.
pub(super) const TABLES: &[Table] = &[
    Table {
        name: "clients",
        columns: &[
            ("id", U),
            ("name", T),
            ("client_type", T),
            ("status", T),
            ("address", T),
            ("website", T),
            ("notes", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "contacts",
        columns: &[
            ("id", U),
            ("client_id", U),
            ("name", T),
            ("role", T),
            ("email", T),
            ("phone", T),
        ],
        key: &["id"],
    },
    Table {
        name: "users",
        columns: &[
            ("id", U),
            ("email", T),
            ("name", T),
            ("role", T),
            ("job_title", T),
            ("phone", T),
            ("skills", T),
            ("status", T),
            ("client_id", U),
            ("password_hash", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "setup_claims",
        columns: &[("id", I4), ("user_id", U), ("claimed_at", TS)],
        key: &["id"],
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", U),
            ("user_id", U),
            ("name", T),
            ("prefix", T),
            ("token_hash", T),
            ("created_at", TS),
            ("expires_at", TS),
            ("last_used_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "mail_outbox",
        columns: &[
            ("id", U),
            ("to_address", T),
            ("subject", T),
            ("body", T),
            ("status", T),
            ("created_at", TS),
            ("attachments", T),
        ],
        key: &["id"],
    },
    Table {
        name: "projects",
        columns: &[
            ("id", U),
            ("code", T),
            ("name", T),
            ("client_id", U),
            ("sector", T),
            ("business_line", T),
            ("priority", T),
            ("status", T),
            ("manager_id", U),
            ("start_date", D),
            ("end_date", D),
            ("contract_value_minor", I),
            ("budget_minor", I),
            ("currency", T),
            ("location", T),
            ("contract_number", T),
            ("description", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "project_members",
        columns: &[
            ("project_id", U),
            ("user_id", U),
            ("role", T),
            ("added_at", TS),
        ],
        key: &["project_id", "user_id"],
    },
    Table {
        name: "scope_groups",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("name", T),
            ("letter", T),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "room_types",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("code", T),
            ("name", T),
            ("description", T),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "locations",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("kind", T),
            ("parent_id", U),
            ("building_id", U),
            ("level_id", U),
            ("room_type_id", U),
            ("code", T),
            ("name", T),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "scope_items",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("group_id", U),
            ("code", T),
            ("name", T),
            ("description", T),
            ("location", T),
            ("quantity_milli", I),
            ("unit", T),
            ("unit_price_minor", I),
            ("total_minor", I),
            ("budget_cost_minor", I),
            ("actual_cost_minor", I),
            ("status", T),
            ("progress", I4),
            ("drawing_required", I4),
            ("spec_required", I4),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
            ("released_at", TS),
            ("released_by", U),
            ("release_note", T),
            ("room_id", U),
            ("room_type_id", U),
            ("quantity_per_room_milli", I),
            ("install_on", D),
        ],
        key: &["id"],
    },
    // After `scope_items`: a task may name the scope item it is for (migration 0045).
    Table {
        name: "tasks",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("title", T),
            ("description", T),
            ("status", T),
            ("priority", T),
            ("assignee_id", U),
            ("start_date", D),
            ("due_date", D),
            ("estimated_hours", F),
            ("actual_hours", F),
            ("progress", I4),
            ("completed_at", TS),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
            // Migration 0045: the schedule's fields.
            ("is_milestone", I4),
            ("constraint_kind", T),
            ("constraint_on", D),
            ("scope_item_id", U),
            // Migration 0046: a subtask's parent.
            ("parent_id", U),
            // Migration 0049: the millwork chain's step.
            ("chain_step", T),
        ],
        key: &["id"],
    },
    Table {
        name: "drawings",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", T),
            ("title", T),
            ("kind", T),
            ("area", T),
            ("scheme", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_revisions",
        columns: &[
            ("id", U),
            ("drawing_id", U),
            ("seq", I),
            ("label", T),
            ("status", T),
            ("notes", T),
            ("file_name", T),
            ("file_size", I),
            ("file_sha256", T),
            ("file_mime", T),
            ("blob_key", T),
            ("uploaded_by", U),
            ("uploaded_at", TS),
            ("submitted_at", TS),
            ("decided_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_reviews",
        columns: &[
            ("id", U),
            ("revision_id", U),
            ("reviewer_id", U),
            ("reviewer_name", T),
            ("decision", T),
            ("comments", T),
            ("at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_scope_items",
        columns: &[("drawing_id", U), ("scope_item_id", U)],
        key: &["drawing_id", "scope_item_id"],
    },
    // Migration 0034: the supplier directory (before the specifications that refer to it).
    Table {
        name: "suppliers",
        columns: &[
            ("id", U),
            ("name", T),
            ("categories", T),
            ("email", T),
            ("phone", T),
            ("website", T),
            ("address", T),
            ("tax_number", T),
            ("payment_terms", T),
            ("lead_time_days", I),
            ("notes", T),
            ("archived", I4),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "supplier_contacts",
        columns: &[
            ("id", U),
            ("supplier_id", U),
            ("name", T),
            ("role", T),
            ("email", T),
            ("phone", T),
            ("position", I),
        ],
        key: &["id"],
    },
    Table {
        name: "specs",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("code", T),
            ("description", T),
            ("category", T),
            ("material", T),
            ("finish", T),
            ("colour", T),
            ("dimensions", T),
            ("hardware", T),
            ("quantity_milli", I),
            ("unit", T),
            ("unit_cost_minor", I),
            ("total_minor", I),
            ("supplier", T),
            ("supplier_contact", T),
            ("part_number", T),
            ("lead_time_days", I4),
            ("location", T),
            ("phase", T),
            ("needed_on", D),
            ("status", T),
            ("procurement", T),
            ("po_number", T),
            ("order_date", D),
            ("expected_delivery", D),
            ("delivered_milli", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
            // Migration 0034: the supplier from the directory.
            ("supplier_id", U),
            // Migration 0038: the contact at that supplier.
            ("supplier_contact_id", U),
        ],
        key: &["id"],
    },
    Table {
        name: "spec_reviews",
        columns: &[
            ("id", U),
            ("spec_id", U),
            ("reviewer_id", U),
            ("reviewer_name", T),
            ("decision", T),
            ("comments", T),
            ("at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "spec_scope_items",
        columns: &[("spec_id", U), ("scope_item_id", U)],
        key: &["spec_id", "scope_item_id"],
    },
    Table {
        name: "spec_drawings",
        columns: &[("spec_id", U), ("drawing_id", U)],
        key: &["spec_id", "drawing_id"],
    },
    Table {
        name: "drawing_places",
        columns: &[("drawing_id", U), ("place_id", U)],
        key: &["drawing_id", "place_id"],
    },
    Table {
        name: "spec_places",
        columns: &[("spec_id", U), ("place_id", U)],
        key: &["spec_id", "place_id"],
    },
    Table {
        name: "installations",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("scope_item_id", U),
            ("room_id", U),
            ("quantity_milli", I),
            ("installed_on", D),
            ("installer", T),
            ("note", T),
            ("reverses_id", U),
            ("recorded_by", U),
            ("recorded_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "snags",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", I),
            ("room_id", U),
            ("scope_item_id", U),
            ("title", T),
            ("description", T),
            ("category", T),
            ("responsible_user_id", U),
            ("responsible_trade", T),
            ("due_on", D),
            ("status", T),
            ("client_visible", I4),
            ("raised_by", U),
            ("raised_at", TS),
            ("fixed_by", U),
            ("fixed_at", TS),
            ("verified_by", U),
            ("verified_at", TS),
            ("closed_by", U),
            ("closed_at", TS),
            ("rejected_reason", T),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "room_signoffs",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("room_id", U),
            ("signed_by", U),
            ("signed_at", TS),
            ("client_name", T),
            ("note", T),
            ("reopened_at", TS),
            ("reopened_by_snag_id", U),
        ],
        key: &["id"],
    },
    // Migration 0031: RFIs and variations with their lines, links and decisions.
    Table {
        name: "rfis",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", I),
            ("subject", T),
            ("question", T),
            ("raised_by", U),
            ("raised_at", TS),
            ("addressed_to_user_id", U),
            ("addressed_to_email", T),
            ("addressed_to_name", T),
            ("required_by", D),
            ("status", T),
            ("client_visible", I4),
            ("answer", T),
            ("answered_by", U),
            ("answered_by_name", T),
            ("answered_at", TS),
            ("cost_impact", I4),
            ("time_impact", I4),
            ("closed_by", U),
            ("closed_at", TS),
            ("sent_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "rfi_drawings",
        columns: &[("rfi_id", U), ("drawing_id", U)],
        key: &["rfi_id", "drawing_id"],
    },
    Table {
        name: "rfi_scope_items",
        columns: &[("rfi_id", U), ("scope_item_id", U)],
        key: &["rfi_id", "scope_item_id"],
    },
    Table {
        name: "rfi_rooms",
        columns: &[("rfi_id", U), ("room_id", U)],
        key: &["rfi_id", "room_id"],
    },
    Table {
        name: "variations",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", I),
            ("title", T),
            ("description", T),
            ("reason", T),
            ("rfi_id", U),
            ("requested_by_client", I4),
            ("time_impact_days", I),
            ("currency", T),
            ("total_minor", I),
            ("status", T),
            ("raised_by", U),
            ("raised_at", TS),
            ("submitted_at", TS),
            ("decided_at", TS),
            ("applied_at", TS),
            ("withdrawn_at", TS),
            ("withdrawn_by", U),
            ("withdrawn_reason", T),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "variation_lines",
        columns: &[
            ("id", U),
            ("variation_id", U),
            ("position", I),
            ("kind", T),
            ("scope_item_id", U),
            ("group_id", U),
            ("code", T),
            ("name", T),
            ("unit", T),
            ("description", T),
            ("quantity_before_milli", I),
            ("unit_price_before_minor", I),
            ("quantity_milli", I),
            ("unit_price_minor", I),
            ("amount_minor", I),
            ("note", T),
        ],
        key: &["id"],
    },
    Table {
        name: "variation_reviews",
        columns: &[
            ("id", U),
            ("variation_id", U),
            ("reviewer_id", U),
            ("reviewer_name", T),
            ("decision", T),
            ("comments", T),
            ("at", TS),
        ],
        key: &["id"],
    },
    // Migration 0034: purchase orders, their lines and goods receipts.
    Table {
        name: "po_sequences",
        columns: &[("year", I), ("last", I)],
        key: &["year"],
    },
    Table {
        name: "purchase_orders",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("supplier_id", U),
            ("number", T),
            ("status", T),
            ("currency", T),
            ("total_minor", I),
            ("required_on", D),
            ("delivery_address", T),
            ("terms", T),
            ("notes", T),
            ("created_by", U),
            ("created_at", TS),
            ("approved_by", U),
            ("approved_at", TS),
            ("sent_by", U),
            ("sent_at", TS),
            ("sent_to", T),
            ("closed_at", TS),
            ("cancelled_at", TS),
            ("cancelled_reason", T),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "purchase_order_lines",
        columns: &[
            ("id", U),
            ("purchase_order_id", U),
            ("position", I),
            ("spec_id", U),
            ("scope_item_id", U),
            ("description", T),
            ("quantity_milli", I),
            ("unit", T),
            ("unit_price_minor", I),
            ("total_minor", I),
            ("required_on", D),
            ("received_milli", I),
            ("received_on", D),
        ],
        key: &["id"],
    },
    Table {
        name: "goods_receipts",
        columns: &[
            ("id", U),
            ("purchase_order_id", U),
            ("received_on", D),
            ("delivery_note", T),
            ("received_by", U),
            ("received_by_name", T),
            ("note", T),
            ("recorded_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "goods_receipt_lines",
        columns: &[
            ("receipt_id", U),
            ("line_id", U),
            ("quantity_milli", I),
            ("over_delivery_reason", T),
        ],
        key: &["receipt_id", "line_id"],
    },
    Table {
        name: "po_approval_limits",
        columns: &[
            ("currency", T),
            ("project_manager_limit_minor", I),
            ("updated_by", U),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["currency"],
    },
    Table {
        name: "workshop_stage_templates",
        columns: &[
            ("id", U),
            ("key", T),
            ("name", T),
            ("kind", T),
            ("position", I),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "workshop_stages",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("key", T),
            ("name", T),
            ("kind", T),
            ("position", I),
            ("archived", I4),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "qa_checks",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("scope_item_id", U),
            ("stage_id", U),
            ("quantity_milli", I),
            ("result", T),
            ("rework_stage_id", U),
            ("notes", T),
            ("checked_by", U),
            ("checked_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "workshop_moves",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("scope_item_id", U),
            ("from_stage_id", U),
            ("to_stage_id", U),
            ("quantity_milli", I),
            ("kind", T),
            ("qa_check_id", U),
            ("reverses_id", U),
            ("note", T),
            ("moved_by", U),
            ("moved_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "delivery_notes",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", I),
            ("destination_id", U),
            ("address", T),
            ("planned_on", D),
            ("vehicle", T),
            ("driver", T),
            ("notes", T),
            ("status", T),
            ("created_by", U),
            ("created_at", TS),
            ("dispatched_by", U),
            ("dispatched_at", TS),
            ("cancelled_at", TS),
            ("cancelled_reason", T),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "delivery_note_lines",
        columns: &[
            ("id", U),
            ("delivery_note_id", U),
            ("position", I),
            ("scope_item_id", U),
            ("quantity_milli", I),
            ("received_milli", I),
            ("note", T),
        ],
        key: &["id"],
    },
    Table {
        name: "delivery_receipts",
        columns: &[
            ("id", U),
            ("delivery_note_id", U),
            ("received_on", D),
            ("received_by", U),
            ("signed_name", T),
            ("note", T),
            ("recorded_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "delivery_receipt_lines",
        columns: &[("receipt_id", U), ("line_id", U), ("quantity_milli", I)],
        key: &["receipt_id", "line_id"],
    },
    // Migration 0045: the schedule.
    Table {
        name: "task_dependencies",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("predecessor_id", U),
            ("successor_id", U),
            ("kind", T),
            ("lag_days", I4),
            ("created_by", U),
            ("created_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "work_calendar",
        columns: &[
            ("id", I4),
            ("working_weekdays", T),
            ("updated_by", U),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "company_holidays",
        columns: &[("day", D), ("name", T)],
        key: &["day"],
    },
    Table {
        name: "project_calendars",
        columns: &[
            ("project_id", U),
            ("working_weekdays", T),
            ("updated_by", U),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["project_id"],
    },
    Table {
        name: "project_calendar_days",
        columns: &[("project_id", U), ("day", D), ("working", I4), ("name", T)],
        key: &["project_id", "day"],
    },
    Table {
        name: "baselines",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("name", T),
            ("created_by", U),
            ("created_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "baseline_tasks",
        columns: &[
            ("baseline_id", U),
            ("task_id", U),
            ("title", T),
            ("is_milestone", I4),
            ("start_date", D),
            ("finish_date", D),
        ],
        key: &["baseline_id", "task_id"],
    },
    Table {
        name: "project_settings",
        columns: &[
            ("project_id", U),
            ("require_materials_ordered", I4),
            ("client_approvals", I4),
            ("progress_released", I4),
            ("progress_installed", I4),
            ("progress_signed_off", I4),
            ("materials_rule", T),
            ("progress_production", I4),
            ("progress_delivery", I4),
        ],
        key: &["project_id"],
    },
    Table {
        name: "project_reviewers",
        columns: &[("project_id", U), ("user_id", U)],
        key: &["project_id", "user_id"],
    },
    Table {
        name: "audit_log",
        columns: &[
            ("id", U),
            ("at", TS),
            ("actor_id", U),
            ("actor_name", T),
            ("action", T),
            ("entity_type", T),
            ("entity_id", U),
            ("entity_label", T),
            ("changes", T),
            ("request_id", T),
            ("ip", T),
            ("user_agent", T),
            // Migration 0019.
            ("project_id", U),
        ],
        key: &["id"],
    },
    // Migration 0002. Jobs are kept: a queued email or a dead job an admin has yet to look
    // at is data; a stale `locked_until` simply expires after the move.
    Table {
        name: "jobs",
        columns: &[
            ("id", U),
            ("kind", T),
            ("payload", T),
            ("status", T),
            ("attempts", I4),
            ("max_attempts", I4),
            ("run_at", TS),
            ("locked_by", T),
            ("locked_until", TS),
            ("last_error", T),
            ("unique_key", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("finished_at", TS),
        ],
        key: &["id"],
    },
    // Migration 0009. Pending file removals travel too, so a restored server still removes
    // the files the archive carries for records that were already deleted.
    Table {
        name: "attachments",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("owner_kind", T),
            ("owner_id", U),
            ("purpose", T),
            ("caption", T),
            ("file_name", T),
            ("file_size", I),
            ("file_sha256", T),
            ("file_mime", T),
            ("blob_key", T),
            ("uploaded_by", U),
            ("uploaded_at", TS),
            // Migration 0022: an image's server-made copies (stored files, archived too).
            ("display_key", T),
            ("thumb_key", T),
            ("image_width", I),
            ("image_height", I),
        ],
        key: &["id"],
    },
    Table {
        name: "deleted_files",
        columns: &[("blob_key", T)],
        key: &["blob_key"],
    },
    Table {
        name: "threads",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("kind", T),
            ("task_id", U),
            ("scope_item_id", U),
            ("drawing_id", U),
            ("drawing_revision_id", U),
            ("spec_id", U),
            ("created_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "comments",
        columns: &[
            ("id", U),
            ("thread_id", U),
            ("project_id", U),
            ("author_id", U),
            ("visibility", T),
            ("body", T),
            ("created_at", TS),
            ("edited_at", TS),
            ("deleted_at", TS),
            ("deleted_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "comment_edits",
        columns: &[
            ("id", U),
            ("comment_id", U),
            ("body", T),
            ("edited_by", U),
            ("edited_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "comment_mentions",
        columns: &[("comment_id", U), ("user_id", U)],
        key: &["comment_id", "user_id"],
    },
    Table {
        name: "watchers",
        columns: &[
            ("thread_id", U),
            ("user_id", U),
            ("state", T),
            ("since", TS),
        ],
        key: &["thread_id", "user_id"],
    },
    Table {
        name: "notifications",
        columns: &[
            ("id", U),
            ("user_id", U),
            ("project_id", U),
            ("thread_id", U),
            ("record_kind", T),
            ("comment_id", U),
            ("event", T),
            ("category", T),
            ("actor_id", U),
            ("actor_name", T),
            ("title", T),
            ("excerpt", T),
            ("link", T),
            ("internal", I4),
            ("dedupe_key", T),
            ("email_mode", T),
            ("mail_id", U),
            ("emailed_at", TS),
            ("created_at", TS),
            ("read_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "notification_prefs",
        columns: &[("user_id", U), ("category", T), ("mode", T)],
        key: &["user_id", "category"],
    },
    Table {
        name: "user_settings",
        columns: &[("user_id", U), ("time_zone", T), ("updated_at", TS)],
        key: &["user_id"],
    },
    // Migration 0023: the letterhead; its logo travels with the uploaded files.
    Table {
        name: "company_settings",
        columns: &[
            ("id", I4),
            ("name", T),
            ("address", T),
            ("tax_number", T),
            ("phone", T),
            ("email", T),
            ("website", T),
            ("document_terms", T),
            ("logo_key", T),
            ("logo_mime", T),
            ("updated_by", U),
            ("updated_at", TS),
            ("version", I),
            // Migration 0034: whether designers and craftsmen see purchase prices.
            ("designers_see_prices", I4),
            ("craftsmen_see_prices", I4),
        ],
        key: &["id"],
    },
    // Migration 0047: calendar feeds (token hashes only, like `api_tokens`).
    Table {
        name: "calendar_feeds",
        columns: &[
            ("id", U),
            ("user_id", U),
            ("project_id", U),
            ("prefix", T),
            ("token_hash", T),
            ("created_at", TS),
            ("last_used_at", TS),
            ("revoked_at", TS),
        ],
        key: &["id"],
    },
    // Migration 0046: checklists inside tasks, the company's labels and the tasks they are on.
    Table {
        name: "task_checklist_items",
        columns: &[
            ("id", U),
            ("task_id", U),
            ("text", T),
            ("done", I4),
            ("done_by", U),
            ("done_at", TS),
            ("position", I4),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "labels",
        columns: &[
            ("id", U),
            ("name", T),
            ("colour", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "task_labels",
        columns: &[("task_id", U), ("label_id", U)],
        key: &["task_id", "label_id"],
    },
    // Migration 0048: the company's workflow template.
    Table {
        name: "workflow_steps",
        columns: &[
            ("step", T),
            ("working_days", I4),
            ("updated_by", U),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["step"],
    },
];

/// Tables a restore empties (with `--force`) but a dump never holds: ephemeral
/// credentials that belong to the database being replaced. Cleared before the dumped tables
/// because they reference `users`, and in this order (`session_flashes` references `sessions`).
pub(super) const CLEARED_NOT_DUMPED: &[&str] = &[
    "session_flashes",
    "sessions",
    "password_resets",
    "invitations",
    "scheduler_leases",
    "signing_keys",
    // Migration 0022: a retried upload's key is worth 24 hours and only to the same server.
    "idempotency_keys",
];

/// Tables that triggers keep from the dumped ones (migrations 0010 and 0018): never dumped,
/// and rebuilt as a load inserts the rows they are derived from (and emptied as `--force`
/// deletes them).
pub(super) const DERIVED: &[&str] = &["project_rollups", "search_docs"];

/// PostgreSQL only: each kind's newest search documents (migration 0052), kept by triggers
/// on `search_docs` like the derived tables above, and never dumped.
pub(super) const POSTGRES_DERIVED: &[&str] = &["search_recent"];

/// SQLite only: the FTS5 indexes over `search_docs`, one per kind (migration 0024), virtual
/// tables whose own storage is in shadow tables named after them (`search_fts_task_data`,
/// `…_idx`, …). Kept by triggers on `search_docs` like the derived tables above, and never
/// dumped.
pub(super) const SQLITE_INDEXES: &[&str] = &[
    "search_fts_project",
    "search_fts_client",
    "search_fts_person",
    "search_fts_task",
    "search_fts_scope_item",
    "search_fts_drawing",
    "search_fts_spec",
    "search_fts_comment",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_declared_once_with_their_keys() {
        let mut seen = std::collections::BTreeSet::new();
        for t in TABLES {
            assert!(seen.insert(t.name), "{} twice", t.name);
            for k in t.key {
                assert!(t.columns.iter().any(|(c, _)| c == k), "{}.{k}", t.name);
            }
        }
        for t in CLEARED_NOT_DUMPED {
            assert!(!seen.contains(t));
        }
    }

    /// docs/operations.md ("What an archive holds") lists the dumped tables in load order
    /// and names every table left out on purpose.
    #[test]
    fn operations_doc_lists_the_dumped_tables_in_order() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md");
        let doc = std::fs::read_to_string(path).expect("docs/operations.md");
        let start = doc
            .find("Tables, parents first")
            .expect("a paragraph starting \"Tables, parents first\"");
        let rest = &doc[start..];
        let (listed, left_out) = rest
            .split_once("**Not included")
            .expect("followed by \"**Not included\"");
        let left_out = left_out.split("\n\n").next().unwrap_or_default();
        // Backticked names, in order: every other piece between backticks.
        let names = |text: &str| -> Vec<String> {
            text.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        let dumped: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names(listed), dumped, "docs/operations.md vs TABLES");
        let left_out = names(left_out);
        for t in CLEARED_NOT_DUMPED
            .iter()
            .chain(DERIVED)
            .chain(POSTGRES_DERIVED)
            .chain(SQLITE_INDEXES)
        {
            assert!(left_out.iter().any(|n| n == t), "docs/operations.md: {t}");
        }
    }
}
