//! Deterministic GB/T 9704-2012 typesetter: a structured [`Document`] in, PDF bytes out.
//!
//! Architecture invariant: this crate knows nothing about cases, catalogs or
//! databases. The engine builds a [`Document`]; this crate lays it out.
//! The same `Document` and the same fonts always give the same bytes.

mod date;
mod fonts;
mod layout;
mod render;
mod sfnt;

use std::path::PathBuf;

pub use fonts::{FontConfig, FontOverrides, FontRole, FontSet, FontSpec};
pub use render::render;

/// Errors name the thing that is wrong: the file, the field, the character.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("font file not found: {path}")]
    FontNotFound { path: PathBuf },
    #[error("no usable {role} font found (install fonts-noto-cjk or configure a font path)")]
    NoFont { role: &'static str },
    #[error("cannot read font file {path}: {source}")]
    FontRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse face {face_index} of font file {path}")]
    FontParse { path: PathBuf, face_index: u32 },
    #[error("field \"{field}\": character '{ch}' ({codepoint}) is in no configured font")]
    MissingGlyph {
        field: String,
        ch: char,
        codepoint: String,
    },
    #[error("invalid creation date \"{0}\" (expected RFC 3339, e.g. 2026-11-23T09:30:00+08:00)")]
    InvalidDate(String),
    #[error("table \"{field}\": {reason}")]
    InvalidTable { field: String, reason: String },
    #[error("QR payload too long to encode ({len} bytes)")]
    QrTooLong { len: usize },
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

impl PdfError {
    /// A message for the clerk, in Chinese.
    pub fn user_message(&self) -> String {
        match self {
            PdfError::FontNotFound { path } => {
                format!("找不到字体文件：{}", path.display())
            }
            PdfError::NoFont { .. } => {
                "没有可用的中文字体，请安装字体或在设置中指定字体文件".to_string()
            }
            PdfError::FontRead { path, .. } => format!("无法读取字体文件：{}", path.display()),
            PdfError::FontParse { path, face_index } => {
                format!(
                    "字体文件无法解析：{}（第{}个字形）",
                    path.display(),
                    face_index
                )
            }
            PdfError::MissingGlyph {
                field,
                ch,
                codepoint,
            } => format!("字段“{field}”中的字符“{ch}”({codepoint})没有任何字体可以显示，无法打印"),
            PdfError::InvalidDate(s) => format!("文书日期格式错误：{s}"),
            PdfError::InvalidTable { field, reason } => {
                format!("表格“{field}”格式错误：{reason}")
            }
            PdfError::QrTooLong { .. } => "二维码内容过长，无法生成".to_string(),
            PdfError::Write(e) => format!("生成PDF失败：{e}"),
        }
    }
}

/// A notice to typeset. Everything printed comes from here, so a stored
/// `Document` re-renders to the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Centred, wrapped into balanced lines; `\n` forces a break.
    pub title: String,
    pub doc_no: Option<String>,
    pub blocks: Vec<Block>,
    /// Printed at the bottom of the text area of the last page.
    pub footer_note: Option<String>,
    /// Drawn as a ~20 mm QR code in the top-right margin of page 1.
    pub qr_payload: Option<String>,
    /// RFC 3339, from the notice record; becomes CreationDate/ModDate.
    pub creation_date: String,
    /// The PDF's /Title metadata.
    pub pdf_title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Body text; justified, last line flush left. `\n` starts a new paragraph.
    Paragraph {
        text: String,
        /// Two-character first-line indent.
        indent_first: bool,
        /// Field name reported in [`PdfError::MissingGlyph`].
        field: String,
    },
    /// Flush-left salutation, e.g. "张三：".
    Addressee(String),
    /// Bold (黑体-style) sub-heading.
    Heading(String),
    /// Bordered table; cells wrap; the header row repeats after a page break.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        /// Column widths in body-character units, summing to at most 28.
        col_widths_chars: Vec<u32>,
        field: String,
    },
    /// Issuing office and date, bottom right, with room above for the seal.
    Signature {
        office: String,
        date_text: String,
    },
    /// A tear-off stub below a dashed cut line.
    Stub {
        lines: Vec<String>,
    },
    Spacer {
        lines: u32,
    },
    PageBreak,
    /// A boxed marker such as "补打" or "作废" in the top-right margin of the current page.
    Marker(String),
}
