//! Tables to an `.xlsx` workbook (rust_xlsxwriter): one sheet per table,
//! a bold header row that stays in view, an autofilter over the columns,
//! the widths given, dates and times as real Excel dates. Knows nothing of
//! cases: `ops::ledger` decides what the rows hold. The only module that
//! names rust_xlsxwriter.

use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook, XlsxError};

use crate::error::Error;

/// One cell; `Empty` writes nothing (Excel's blank, which filters as such).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(t: NaiveDateTime) -> Cell {
        Cell::DateTime(t)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

/// A column: its header and its width in Excel's character units.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
}

/// A sheet: name, columns, and rows of as many cells as columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub rows: Vec<Vec<Cell>>,
}

/// The date formats the sheets show (and Excel keeps as numbers).
pub const DATE_FORMAT: &str = "yyyy-mm-dd";
pub const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// How often `progress` hears of rows written (and once per sheet).
const PROGRESS_EVERY: usize = 200;

/// What [`write`] tells its caller as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Rows written so far of all tables; `sheet` is the one at hand.
    Rows { sheet: &'static str, done: u64 },
    /// Every row is in; the workbook is being compressed and written.
    Saving,
}

/// Writes `tables` as one workbook into `out`, telling `progress` how far it is.
pub fn write(
    tables: &[Table],
    out: impl std::io::Write + Send,
    progress: &mut dyn FnMut(Step),
) -> Result<(), Error> {
    write_inner(tables, out, progress).map_err(|e| Error::Workbook(e.to_string()))
}

fn write_inner(
    tables: &[Table],
    out: impl std::io::Write + Send,
    progress: &mut dyn FnMut(Step),
) -> Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format(DATE_FORMAT);
    let datetime = Format::new().set_num_format(DATETIME_FORMAT);
    let mut book = Workbook::new();
    let mut done: u64 = 0;
    for t in tables {
        progress(Step::Rows {
            sheet: t.name,
            done,
        });
        let ws = book.add_worksheet();
        ws.set_name(t.name)?;
        for (c, col) in t.columns.iter().enumerate() {
            let c = col_num(c)?;
            ws.write_string_with_format(0, c, col.header, &header)?;
            ws.set_column_width(c, col.width)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = row_num(r + 1)?;
            for (c, cell) in row.iter().enumerate() {
                let c = col_num(c)?;
                match cell {
                    Cell::Text(s) => ws.write_string(r, c, s)?,
                    // Counts and print numbers: far below 2^53, exact as f64.
                    Cell::Int(n) => ws.write_number(r, c, *n as f64)?,
                    Cell::Date(d) => ws.write_datetime_with_format(r, c, d, &date)?,
                    Cell::DateTime(t) => ws.write_datetime_with_format(r, c, t, &datetime)?,
                    Cell::Empty => ws,
                };
            }
            done += 1;
            if (r as usize) % PROGRESS_EVERY == 0 {
                progress(Step::Rows {
                    sheet: t.name,
                    done,
                });
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if let Some(last_col) = t.columns.len().checked_sub(1) {
            ws.autofilter(0, 0, row_num(t.rows.len())?, col_num(last_col)?)?;
        }
    }
    progress(Step::Saving);
    book.save_to_writer(out)
}

fn row_num(n: usize) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(n: usize) -> Result<u16, XlsxError> {
    u16::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}
