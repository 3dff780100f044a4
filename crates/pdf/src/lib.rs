//! Deterministic GB/T 9704-2012 typesetter: a structured [`Document`] in, PDF bytes out.
//!
//! Architecture invariant: this crate knows nothing about cases, catalogs or
//! databases. The engine builds a [`Document`]; this crate lays it out.
//! The same `Document` and the same fonts always give the same bytes (the
//! creation date comes from the document, font subset tags from the glyphs
//! used, the trailer /ID from the content).
//!
//! ```no_run
//! use yichuang_pdf::{Block, Document, FontConfig, FontOverrides, FontSet, render};
//! let fonts = FontSet::load(&FontConfig::discover(&FontOverrides::default())?)?; // once
//! let doc = Document {
//!     title: "一次性告知单".into(),
//!     doc_no: None,
//!     blocks: vec![Block::Addressee("张三：".into())],
//!     footer_note: None,
//!     qr_payload: None,
//!     creation_date: "2026-11-23T09:30:00+08:00".into(),
//!     pdf_title: "一次性告知单".into(),
//! };
//! let pdf: Vec<u8> = render(&doc, &fonts)?;
//! # Ok::<(), yichuang_pdf::PdfError>(())
//! ```
//!
//! Layout (GB/T 9704; see `docs/design/notice-formats.md`): A4, top margin 37 mm, left 28 mm, text area
//! 156 × 225 mm, 22 lines × 28 characters of 16 pt body text, 22 pt bold
//! title, page numbers "— n —" 7 mm below the text area, at the right on odd
//! pages and the left on even ones. Full lines are justified with character
//! spacing (Tc); 避头尾 is applied; runs of ASCII (ID numbers, phone numbers)
//! are not split. A document that would run onto another page by a little is
//! set on a tighter grid (up to 32 lines) instead; the signature never stands
//! alone on a page, nor the 回执 stub, whose blank and date are never split.
//!
//! Fonts: [`FontConfig::discover`] takes configured faces first, then the
//! candidates in one table in `fonts.rs` (Windows simfang/simsun/simhei,
//! fontconfig families FangSong/仿宋/SimSun/…, Debian Noto CJK SC at face
//! index 2, HanaMin A/B for rare characters). Each character is drawn with the
//! first face of its role's chain that has it; a character no face has is
//! [`PdfError::MissingGlyph`], never an empty box. Font files are memory-mapped
//! and read only where a lookup or a used glyph touches them; each render
//! embeds a subset made from the mapping ([`FontSet::load`] reads no file
//! whole; a file's SHA-256 comes from the caller's cache via
//! [`FontSet::remember_hash`], or is computed once on first need).
//!
//! Tests need poppler-utils, qpdf, fonts-noto-cjk and fonts-hanazono; the
//! benchmark is `cargo bench -p yichuang-pdf --bench render -- 200`.

mod date;
mod fonts;
mod layout;
mod render;
mod sfnt;

use std::path::PathBuf;

pub use fonts::{
    FontConfig, FontFile, FontListing, FontOverrides, FontRole, FontSet, FontSpec, InstalledFont,
    file_identity, fontconfig_fingerprint, installed_cjk_fonts,
};
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
    #[error("font file {path} changed on disk since it was loaded; reload the fonts")]
    FontChanged { path: PathBuf },
    #[error("cannot parse face {face_index} of font file {path}")]
    FontParse { path: PathBuf, face_index: u32 },
    #[error("field \"{field}\": character '{ch}' (U+{codepoint:04X}) is in no configured font")]
    MissingGlyph {
        field: String,
        ch: char,
        /// The character's Unicode scalar value (`ch as u32`).
        codepoint: u32,
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
            PdfError::FontChanged { path } => {
                format!("字体文件已被更改，请重新启动程序：{}", path.display())
            }
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
            } => format!(
                "字段“{field}”中的字符“{ch}”(U+{codepoint:04X})没有任何字体可以显示，无法打印"
            ),
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
    /// A second title inside the document (e.g. the 承诺书 page after a
    /// [`Block::PageBreak`]): like [`Document::title`], 22 pt bold, centred.
    Title(String),
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

#[cfg(test)]
mod tests {
    #[test]
    fn fontset_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::FontSet>();
        assert_send_sync::<crate::Document>();
        assert_send_sync::<crate::PdfError>();
    }
}
