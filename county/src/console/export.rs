//! Every console table as an `.xlsx` workbook: a page builds its
//! [`Sheet`]s from the same figures it shows, and [`workbook`] writes them
//! (rust_xlsxwriter) with Chinese headers, column widths, a frozen header
//! row, an autofilter, real dates and rates as percentages — the station's
//! 台账 export does the same (crates/engine/src/ops/ledger.rs).

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A fraction shown as a percentage; `None` is "—" (nothing to divide by).
    Rate(Option<f64>),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<Option<&str>> for Cell {
    fn from(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::from)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Cell {
        n.map_or(Cell::Empty, Cell::Int)
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

/// One worksheet: a name, its columns (header, width in characters) and rows.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<(String, f64)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, columns: &[(&str, f64)]) -> Sheet {
        Sheet {
            name: name.into(),
            columns: columns.iter().map(|(t, w)| ((*t).to_owned(), *w)).collect(),
            rows: Vec::new(),
        }
    }

    /// A column whose title is known only at run time (a scale's levels).
    pub fn column(&mut self, title: impl Into<String>, width: f64) {
        self.columns.push((title.into(), width));
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// Excel's limit on a sheet name, and the characters it refuses there.
const SHEET_NAME_MAX: usize = 31;
const SHEET_NAME_BAD: &[char] = &['[', ']', ':', '*', '?', '/', '\\'];

fn sheet_name(name: &str, used: &mut Vec<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| if SHEET_NAME_BAD.contains(&c) { '-' } else { c })
        .take(SHEET_NAME_MAX)
        .collect();
    let base = if base.trim().is_empty() {
        "表".to_owned()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        let suffix = format!("({n})");
        let keep = SHEET_NAME_MAX - suffix.chars().count();
        candidate = base.chars().take(keep).collect::<String>() + &suffix;
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// The workbook's bytes.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#EFEFEF");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let rate = Format::new().set_num_format("0.0%");
    let mut used = Vec::new();
    for s in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&s.name, &mut used))?;
        for (c, (title, width)) in s.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, title, &header)?;
            ws.set_column_width(c, *width)?;
        }
        for (r, cells) in s.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in cells.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Rate(Some(v)) => {
                        ws.write_number_with_format(r, c, *v, &rate)?;
                    }
                    Cell::Rate(None) => {
                        ws.write_string(r, c, "—")?;
                    }
                    Cell::Date(d) => {
                        ws.write_date_with_format(r, c, d, &date)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        if !s.columns.is_empty() {
            ws.set_freeze_panes(1, 0)?;
            ws.autofilter(0, 0, s.rows.len() as u32, s.columns.len() as u16 - 1)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_excel_safe_and_unique() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("站点/设备", &mut used), "站点-设备");
        assert_eq!(sheet_name("站点/设备", &mut used), "站点-设备(2)");
        let long = "字".repeat(40);
        let n = sheet_name(&long, &mut used);
        assert_eq!(n.chars().count(), SHEET_NAME_MAX);
        let n2 = sheet_name(&long, &mut used);
        assert!(n2.ends_with("(2)") && n2.chars().count() == SHEET_NAME_MAX);
        assert_eq!(sheet_name("  ", &mut used), "表");
    }

    #[test]
    fn a_workbook_is_a_zip_with_every_sheet() {
        let mut s = Sheet::new("总览", &[("站点", 12.0), ("办件", 8.0), ("评价率", 8.0)]);
        s.row(vec!["XZ02".into(), 3.into(), Cell::Rate(Some(0.5))]);
        s.row(vec!["DEMO01".into(), Cell::Empty, Cell::Rate(None)]);
        let bytes = workbook(&[s, Sheet::new("空表", &[])]).expect("workbook");
        assert_eq!(&bytes[..2], b"PK");
    }
}
