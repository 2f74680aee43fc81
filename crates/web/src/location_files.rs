//! Location spreadsheets: the `.xlsx` / `.csv` export of a project's places (exactly the
//! import's columns, parents before children, so an export imports back unchanged) and the
//! import template.

use axum::response::Response;
use formula_app::location_import::LOCATION_COLUMNS;
use formula_app::locations::ProjectLocations;
use formula_domain::location::Location;
use formula_reports::{Cell, Column, Kind, Sheet};

use crate::scope_files::{Format, csv_text, download, template_of};

fn columns() -> Vec<Column> {
    LOCATION_COLUMNS
        .iter()
        .map(|(field, header, _)| {
            let width = match *field {
                "name" => 36.0,
                "kind" => 10.0,
                _ => 18.0,
            };
            Column::new(*header, Kind::Text, width)
        })
        .collect()
}

/// The places in tree order: each one right after its parent, siblings by position.
fn tree_order(locations: &[Location]) -> Vec<&Location> {
    fn walk<'a>(all: &'a [Location], parent: Option<uuid::Uuid>, out: &mut Vec<&'a Location>) {
        let mut children: Vec<&Location> = all.iter().filter(|l| l.parent_id == parent).collect();
        children.sort_by(|a, b| (a.position, &a.code).cmp(&(b.position, &b.code)));
        for c in children {
            out.push(c);
            walk(all, Some(c.id), out);
        }
    }
    let mut out = Vec::with_capacity(locations.len());
    walk(locations, None, &mut out);
    out
}

/// A project's locations as `.xlsx` or `.csv`.
pub fn export(
    tree: &ProjectLocations,
    project_code: &str,
    format: Format,
) -> Result<Response, String> {
    let code_of = |id: Option<uuid::Uuid>| {
        id.and_then(|id| tree.locations.iter().find(|l| l.id == id))
            .map_or(Cell::Empty, |l| Cell::Text(l.code.clone()))
    };
    let type_of = |id: Option<uuid::Uuid>| {
        id.and_then(|id| tree.room_types.iter().find(|t| t.id == id))
            .map_or(Cell::Empty, |t| Cell::Text(t.code.clone()))
    };
    let rows: Vec<Vec<Cell>> = tree_order(&tree.locations)
        .into_iter()
        .map(|l| {
            vec![
                Cell::Text(l.code.clone()),
                Cell::Text(l.name.clone()),
                Cell::Text(l.kind.label().into()),
                code_of(l.parent_id),
                type_of(l.room_type_id),
            ]
        })
        .collect();
    let columns = columns();
    let name = format!("{project_code}-locations");
    let bytes = match format {
        Format::Csv => {
            let headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| csv_text(c, 0)).collect())
                .collect();
            formula_reports::csv_bytes(&headers, &rows)
        }
        Format::Xlsx => formula_reports::xlsx_bytes(&[Sheet {
            name: "Locations".into(),
            columns,
            rows,
            bold_rows: Vec::new(),
        }])
        .map_err(|e| e.to_string())?,
    };
    Ok(download(bytes, format, &name))
}

/// The empty location import template.
pub fn template(format: Format) -> Result<Response, String> {
    template_of(
        LOCATION_COLUMNS,
        &["code", "name", "kind"],
        columns(),
        "Locations",
        format,
        "locations-import-template",
    )
}
