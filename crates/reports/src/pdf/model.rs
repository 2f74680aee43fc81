//! What a document is made of: plain data, filled in by the caller (the web layer formats
//! money and dates before they get here, so this crate stays free of the domain's types).

/// The company a document comes from, drawn at the top of its first page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letterhead {
    pub company_name: String,
    /// Street, town, country: one line each.
    pub address_lines: Vec<String>,
    /// Printed as "Tax no. …" when present.
    pub tax_number: Option<String>,
    /// Phone, e-mail, website: one line each.
    pub contact_lines: Vec<String>,
    /// A JPEG or PNG logo, drawn at most 160 × 56 pt at the left.
    pub logo: Option<Vec<u8>>,
}

/// One document: its furniture (letterhead, title, number, page numbers) and its body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub letterhead: Letterhead,
    /// "Priced scope of work", "Purchase order", …
    pub title: String,
    /// The number printed on every page beside "Page x of y" (a PO number, a project code).
    pub number: String,
    /// The document's date as it should read ("7 Dec 2026").
    pub date: String,
    /// Label and value pairs under the number at the top right ("Currency", "Revision").
    pub fields: Vec<Field>,
    /// The address blocks under the letterhead, side by side ("To", "Project").
    pub parties: Vec<Party>,
    pub blocks: Vec<Block>,
    /// Small print at the foot of every page (a registration line); may be empty.
    pub footer: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// An address block: a small caption over lines, the first of them in bold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub label: String,
    pub lines: Vec<String>,
}

/// A piece of the body, laid out top to bottom and carried over to new pages as needed.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading; kept on the same page as what follows it.
    Heading(String),
    /// Wrapped text; a line break in the text starts a new line.
    Paragraph(String),
    Table(Table),
    /// Empty space, in points.
    Space(f32),
}

/// Horizontal alignment of a column's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// A table column: its header, its share of the width and how its cells align.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// A relative weight: the columns share the page width in proportion to their weights.
    pub weight: f32,
    pub align: Align,
}

impl Column {
    pub fn new(title: &str, weight: f32, align: Align) -> Column {
        Column {
            title: title.into(),
            weight,
            align,
        }
    }
}

/// How a row is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RowKind {
    #[default]
    Normal,
    /// A section row: its first cell spans the whole table, bold on a tint; it is never
    /// left alone at the foot of a page.
    Group,
    /// Bold, with a rule above (a group's subtotal).
    Subtotal,
    /// Bold and larger, with a heavy rule above (the grand total).
    Total,
}

/// What a cell holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A JPEG or PNG picture scaled to fit the column, at most `height` points tall.
    Image {
        data: Vec<u8>,
        height: f32,
    },
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.into())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    /// One per column; missing cells are empty, extra cells are ignored.
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn new(kind: RowKind, cells: Vec<Cell>) -> Row {
        Row { kind, cells }
    }
}

/// A table whose header row is repeated at the top of every page it runs onto.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}
