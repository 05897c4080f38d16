//! Tables for export, and their three renderings: xlsx (real numbers and dates, formats, frozen
//! header, autofilter), CSV (RFC 4180) and JSON. One model, so the three always agree. Texts come
//! from the monitored hosts (user and process names): xlsx writes them as strings, never
//! formulas, and CSV prefixes a text that a spreadsheet would read as a formula with `'`.
//! `tables` lays out the tables the exports hold.

pub(crate) mod tables;

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::{Map, Value};

/// How a column's values are typed and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A plain number (counts, loads).
    Number,
    /// A percentage given as 0–100; written to xlsx as a fraction with a `%` format.
    Percent,
    /// A byte count; shown in xlsx as MB.
    Bytes,
    /// A UTC timestamp; an Excel date-time in xlsx, RFC 3339 elsewhere.
    Time,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Time(DateTime<Utc>),
    Empty,
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Number)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Empty, |n| Cell::Number(n as f64))
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

impl From<DateTime<Utc>> for Cell {
    fn from(v: DateTime<Utc>) -> Self {
        Cell::Time(v)
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    /// The key in JSON and CSV.
    pub key: &'static str,
    /// The header in xlsx.
    pub title: &'static str,
    pub kind: Kind,
    pub width: f64,
}

pub const fn col(key: &'static str, title: &'static str, kind: Kind, width: f64) -> Column {
    Column { key, title, kind, width }
}

/// One sheet.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    clean.chars().take(31).collect()
}

pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#E8EDF3");
    let percent = Format::new().set_num_format("0.0%");
    let bytes = Format::new().set_num_format("#,##0.0,,\" MB\"");
    let number = Format::new().set_num_format("#,##0.##");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.name))?;
        for (c, column) in t.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, column.title, &header)?;
            ws.set_column_width(c, column.width)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, (cell, column)) in row.iter().zip(&t.columns).enumerate() {
                let c = c as u16;
                match (cell, column.kind) {
                    (Cell::Empty, _) => {}
                    (Cell::Text(s), _) => {
                        ws.write_string(r, c, s)?;
                    }
                    (Cell::Number(n), Kind::Percent) => {
                        ws.write_number_with_format(r, c, n / 100.0, &percent)?;
                    }
                    (Cell::Number(n), Kind::Bytes) => {
                        ws.write_number_with_format(r, c, *n, &bytes)?;
                    }
                    (Cell::Number(n), _) => {
                        ws.write_number_with_format(r, c, *n, &number)?;
                    }
                    (Cell::Time(t), _) => {
                        ws.write_datetime_with_format(r, c, t.naive_utc(), &time)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        let last_col = t.columns.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, t.rows.len() as u32, last_col)?;
    }
    wb.save_to_buffer()
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => inert(s),
        Cell::Number(n) => n.to_string(),
        Cell::Time(t) => t.to_rfc3339(),
        Cell::Empty => String::new(),
    }
}

/// `s`, or `'s` when a spreadsheet opening the CSV would take `s` for a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's CSV injection rule). A process named
/// `=HYPERLINK(…)` on a monitored host must not become a live formula on an admin's desktop.
fn inert(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

/// One CSV per table, concatenated with a blank line and a `# name` line between tables.
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if tables.len() > 1 {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("# {}\r\n", t.name).as_bytes());
        }
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        w.write_record(t.columns.iter().map(|c| c.key))?;
        for row in &t.rows {
            w.write_record(row.iter().map(text))?;
        }
        out.extend(w.into_inner().map_err(|e| e.into_error())?);
    }
    Ok(out)
}

/// `{ "<table>": [ {column: value, …}, … ], … }`.
pub fn json(tables: &[Table]) -> Value {
    let mut doc = Map::new();
    for t in tables {
        let rows = t
            .rows
            .iter()
            .map(|row| {
                let obj: Map<String, Value> = t
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, cell)| {
                        let v = match cell {
                            Cell::Text(s) => Value::String(s.clone()),
                            Cell::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
                            Cell::Time(t) => Value::String(t.to_rfc3339()),
                            Cell::Empty => Value::Null,
                        };
                        (c.key.to_string(), v)
                    })
                    .collect();
                Value::Object(obj)
            })
            .collect();
        doc.insert(t.name.clone(), Value::Array(rows));
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table() -> Table {
        Table {
            name: "Top users".into(),
            columns: vec![col("user", "User", Kind::Text, 12.0), col("cpu", "CPU", Kind::Percent, 8.0)],
            rows: vec![
                vec![Cell::Text("a,\"b\"".into()), Cell::Number(12.5)],
                vec![Cell::Text("c".into()), Cell::Empty],
            ],
        }
    }

    #[test]
    fn csv_quotes_and_json_keeps_numbers() {
        let csv = String::from_utf8(csv(&[table()]).unwrap()).unwrap();
        assert_eq!(csv, "user,cpu\r\n\"a,\"\"b\"\"\",12.5\r\nc,\r\n");
        let j = json(&[table()]);
        assert_eq!(j["Top users"][0]["cpu"], 12.5);
        assert_eq!(j["Top users"][1]["cpu"], Value::Null);
    }

    #[test]
    fn csv_never_starts_a_text_cell_with_a_formula() {
        let mut t = table();
        t.rows = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "a=b", "<img src=x>"]
            .into_iter()
            .map(|s| vec![Cell::Text(s.into()), Cell::Number(-1.5)])
            .collect();
        let csv = String::from_utf8(csv(&[t]).unwrap()).unwrap();
        assert_eq!(
            csv,
            "user,cpu\r\n\"'=HYPERLINK(\"\"http://x\"\")\",-1.5\r\n'+1,-1.5\r\n'-2+3,-1.5\r\n'@SUM(A1),-1.5\r\n\
             '\t=1,-1.5\r\na=b,-1.5\r\n<img src=x>,-1.5\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_and_sheet_names_are_cleaned() {
        let bytes = xlsx(&[table()]).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(sheet_name("a/b:c*d?e[f]g\\h-0123456789012345678901234"), "a_b_c_d_e_f_g_h-012345678901234");
    }
}
