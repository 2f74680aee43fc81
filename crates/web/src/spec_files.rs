//! Material specification spreadsheets: the `.xlsx` / `.csv` export (every importable column,
//! then what the system works out: total, order-by date, approval, procurement, delivery,
//! lateness — ignored on import), a costs-by-category sheet, and the import template.

use axum::response::Response;
use formula_app::spec_import::SPEC_COLUMNS;
use formula_app::specs::SpecList;
use formula_domain::money::minor_digits;
use formula_domain::spec::Spec;
use formula_reports::{Cell, Column, Kind, Sheet};

use crate::scope_files::{Format, csv_text, download, money, template_of, yes_no};

fn kind_of(field: &str, places: u32) -> (Kind, f64) {
    match field {
        "description" => (Kind::Text, 40.0),
        "quantity" | "delivered" => (Kind::Decimal, 10.0),
        "unit" => (Kind::Text, 8.0),
        "unit_cost" | "total" => (Kind::Money { places }, 14.0),
        "lead_time_days" => (Kind::Integer, 10.0),
        "needed_on" | "order_by" => (Kind::Date, 12.0),
        "supplier" | "supplier_contact" => (Kind::Text, 22.0),
        _ => (Kind::Text, 14.0),
    }
}

/// Derived columns, after the importable ones (Total goes right after the unit cost).
const DERIVED: &[(&str, &str)] = &[
    ("order_by", "Order by"),
    ("status", "Approval"),
    ("procurement", "Procurement"),
    ("po_number", "PO number"),
    ("delivered", "Delivered"),
    ("late", "Late"),
];

fn columns(places: u32, with_derived: bool) -> Vec<(&'static str, Column)> {
    let mut out = Vec::new();
    let column = |field: &'static str, header: &str| {
        let (kind, width) = kind_of(field, places);
        (field, Column::new(header, kind, width))
    };
    for (field, header, _) in SPEC_COLUMNS {
        out.push(column(field, header));
        if with_derived && *field == "unit_cost" {
            out.push(column("total", "Total"));
        }
    }
    if with_derived {
        out.extend(DERIVED.iter().map(|(f, h)| column(f, h)));
    }
    out
}

fn cells(s: &Spec, cols: &[(&'static str, Column)], today: time::Date) -> Vec<Cell> {
    let opt = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
    cols.iter()
        .map(|(field, _)| match *field {
            "code" => Cell::Text(s.code.clone()),
            "description" => Cell::Text(s.description.clone()),
            "category" => Cell::Text(s.category.label().into()),
            "material" => opt(&s.material),
            "finish" => opt(&s.finish),
            "colour" => opt(&s.colour),
            "dimensions" => opt(&s.dimensions),
            "hardware" => opt(&s.hardware),
            "quantity" => Cell::Decimal(s.quantity.to_string()),
            "unit" => Cell::Text(s.unit.clone()),
            "unit_cost" => money(s.unit_cost_minor),
            "total" => money(s.total_minor),
            // The directory's names, which an import finds again (text typed before the
            // directory and never matched is not exported: importing the file back changes
            // nothing).
            "supplier" => opt(&s.supplier_name),
            "supplier_contact" => opt(&s.supplier_contact_name),
            "part_number" => opt(&s.part_number),
            "lead_time_days" => s
                .lead_time_days
                .map_or(Cell::Empty, |d| Cell::Int(i64::from(d))),
            "location" => opt(&s.location),
            "phase" => opt(&s.phase),
            "needed_on" => s.needed_on.map_or(Cell::Empty, Cell::Date),
            "order_by" => s.order_by().map_or(Cell::Empty, Cell::Date),
            "status" => Cell::Text(s.status.label().into()),
            "procurement" => s
                .procurement
                .map_or(Cell::Empty, |p| Cell::Text(p.label().into())),
            "po_number" => opt(&s.po_number),
            "delivered" => Cell::Decimal(s.delivered_quantity.to_string()),
            "late" => yes_no(s.is_late(today)),
            _ => Cell::Empty,
        })
        .collect()
}

/// A project's specifications as `.xlsx` (with a costs-by-category sheet) or `.csv`.
pub fn export(
    list: &SpecList,
    project_code: &str,
    today: time::Date,
    format: Format,
) -> Result<Response, String> {
    let places = minor_digits(&list.currency);
    let cols = columns(places, true);
    let rows: Vec<Vec<Cell>> = list.items.iter().map(|s| cells(s, &cols, today)).collect();
    let columns: Vec<Column> = cols.into_iter().map(|(_, c)| c).collect();
    let name = format!("{project_code}-materials");
    let bytes = match format {
        Format::Csv => {
            let headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| csv_text(c, places)).collect())
                .collect();
            formula_reports::csv_bytes(&headers, &rows)
        }
        Format::Xlsx => {
            let money_col = |h: &str| {
                Column::new(
                    format!("{h} ({})", list.currency),
                    Kind::Money { places },
                    18.0,
                )
            };
            let costs = list
                .costs
                .iter()
                .map(|c| {
                    vec![
                        Cell::Text(c.category.label().into()),
                        Cell::Money(c.budget_minor),
                        Cell::Money(c.committed_minor),
                        Cell::Money(c.actual_minor),
                    ]
                })
                .collect();
            formula_reports::xlsx_bytes(&[
                Sheet {
                    name: "Materials".into(),
                    columns,
                    rows,
                    bold_rows: Vec::new(),
                },
                Sheet {
                    name: "Costs by category".into(),
                    columns: vec![
                        Column::new("Category", Kind::Text, 18.0),
                        money_col("Budget"),
                        money_col("Committed"),
                        money_col("Actual"),
                    ],
                    rows: costs,
                    bold_rows: Vec::new(),
                },
            ])
            .map_err(|e| e.to_string())?
        }
    };
    Ok(download(bytes, format, &name))
}

/// The empty specification import template.
pub fn template(format: Format) -> Result<Response, String> {
    let cols = columns(2, false).into_iter().map(|(_, c)| c).collect();
    template_of(
        SPEC_COLUMNS,
        &["code", "description"],
        cols,
        "Materials",
        format,
        "materials-import-template",
    )
}
