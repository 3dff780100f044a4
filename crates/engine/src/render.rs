//! Notice templates (data, versioned, replaceable by the county) and the
//! bridge from a notice record's field snapshot to the PDF typesetter.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yichuang_pdf::{Block, Document, FontConfig, FontOverrides, FontRole, FontSet, FontSpec};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::notice::NoticeKind;

pub const BUNDLED_TEMPLATES: &str = include_str!("../../../assets/templates/notices.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSet {
    pub version: String,
    pub templates: BTreeMap<String, Template>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub title: String,
    pub blocks: Vec<TemplateBlock>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TemplateBlock {
    Addressee {
        text: String,
    },
    Heading {
        text: String,
    },
    /// A second titled document in the same print job (e.g. 承诺书).
    Title {
        text: String,
    },
    Paragraph {
        text: String,
        #[serde(default)]
        field: String,
        /// Only printed when this field of the snapshot is true.
        #[serde(default)]
        when: Option<String>,
    },
    Table {
        /// Array field of the snapshot, one row per element.
        rows: String,
        headers: Vec<String>,
        /// Keys of each element; `#` is the row number.
        cols: Vec<String>,
        widths: Vec<u32>,
        #[serde(default)]
        field: String,
    },
    Signature,
    Stub {
        lines: Vec<String>,
    },
    Spacer {
        lines: u32,
    },
    PageBreak,
}

impl TemplateSet {
    /// Parses and checks a template file: every notice kind present and
    /// every placeholder resolvable against a sample of that kind's fields.
    pub fn parse(text: &str) -> Result<TemplateSet> {
        let set: TemplateSet = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                "templates",
                format!("template file: {e}"),
                format!("文书模板文件格式错误：{e}"),
            )
        })?;
        if set.version.trim().is_empty() {
            return Err(Error::invalid(
                "templates",
                "empty version",
                "文书模板缺少版本号",
            ));
        }
        for kind in crate::notice::ALL_KINDS {
            let t = set.get(kind)?;
            for b in &t.blocks {
                if let TemplateBlock::Table {
                    headers,
                    cols,
                    widths,
                    ..
                } = b
                {
                    if headers.len() != cols.len()
                        || cols.len() != widths.len()
                        || widths.iter().sum::<u32>() > 28
                    {
                        return Err(Error::invalid(
                            "templates",
                            format!("{}: table columns do not match", kind.as_str()),
                            format!(
                                "文书模板“{}”的表格列定义不一致或超过28字宽",
                                kind.title_zh()
                            ),
                        ));
                    }
                }
            }
        }
        Ok(set)
    }

    pub fn get(&self, kind: NoticeKind) -> Result<&Template> {
        self.templates.get(kind.as_str()).ok_or_else(|| {
            Error::invalid(
                "templates",
                format!("no template for {}", kind.as_str()),
                format!("文书模板中缺少“{}”", kind.title_zh()),
            )
        })
    }
}

/// `2026-11-23` → `2026年11月23日` (GB/T 9704 writes dates in Arabic numerals).
fn date_zh(s: &str) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    Some(d.format("%Y年%-m月%-d日").to_string())
}

fn lookup<'v>(fields: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(fields, |v, key| v.get(key))
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "是" } else { "否" }.into()),
        _ => None,
    }
}

/// Replaces `{path}` / `{path|date}` / `{path|join}` with snapshot values. A
/// placeholder without a value is an error, never a silent blank on a legal act.
pub fn fill(text: &str, fields: &Value) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or_else(|| bad_placeholder(text))?;
        let spec = &after[..end];
        let (path, filter) = spec.split_once('|').unwrap_or((spec, ""));
        let v = lookup(fields, path.trim()).ok_or_else(|| missing(path))?;
        let s = match filter.trim() {
            "" => scalar(v),
            "date" => v.as_str().and_then(date_zh),
            "join" => v
                .as_array()
                .map(|a| a.iter().filter_map(scalar).collect::<Vec<_>>().join("、")),
            _ => return Err(bad_placeholder(spec)),
        }
        .ok_or_else(|| missing(path))?;
        out.push_str(&s);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn bad_placeholder(s: &str) -> Error {
    Error::invalid(
        "templates",
        format!("bad placeholder in {s:?}"),
        format!("文书模板占位符有误：{s}"),
    )
}

fn missing(path: &str) -> Error {
    Error::invalid(
        "templates",
        format!("notice field {path} has no value"),
        format!("文书缺少必填内容：{path}"),
    )
}

/// Builds the typesetter's document for a notice.
pub fn build_document(
    template: &Template,
    fields: &Value,
    issued_at: &str,
    marker: Option<&str>,
) -> Result<Document> {
    let mut blocks = Vec::new();
    if let Some(m) = marker {
        blocks.push(Block::Marker(m.to_owned()));
    }
    for b in &template.blocks {
        blocks.push(match b {
            TemplateBlock::Addressee { text } => Block::Addressee(fill(text, fields)?),
            TemplateBlock::Heading { text } => Block::Heading(fill(text, fields)?),
            TemplateBlock::Title { text } => Block::Title(fill(text, fields)?),
            TemplateBlock::Paragraph { text, field, when } => {
                if let Some(w) = when {
                    if lookup(fields, w).and_then(Value::as_bool) != Some(true) {
                        continue;
                    }
                }
                Block::Paragraph {
                    text: fill(text, fields)?,
                    indent_first: true,
                    field: field.clone(),
                }
            }
            TemplateBlock::Table {
                rows,
                headers,
                cols,
                widths,
                field,
            } => {
                let items = lookup(fields, rows)
                    .and_then(Value::as_array)
                    .ok_or_else(|| missing(rows))?;
                let rows = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        cols.iter()
                            .map(|c| match c.as_str() {
                                "#" => Ok((i + 1).to_string()),
                                key => item.get(key).and_then(scalar).ok_or_else(|| missing(key)),
                            })
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()?;
                Block::Table {
                    headers: headers.clone(),
                    rows,
                    col_widths_chars: widths.clone(),
                    field: field.clone(),
                }
            }
            TemplateBlock::Signature => Block::Signature {
                office: fill("{office.name}", fields)?,
                date_text: fill("{issued_on|date}", fields)?,
            },
            TemplateBlock::Stub { lines } => Block::Stub {
                lines: lines
                    .iter()
                    .map(|l| fill(l, fields))
                    .collect::<Result<_>>()?,
            },
            TemplateBlock::Spacer { lines } => Block::Spacer { lines: *lines },
            TemplateBlock::PageBreak => Block::PageBreak,
        });
    }
    let doc_no = lookup(fields, "doc_no").and_then(scalar);
    let case_no = lookup(fields, "case_no")
        .and_then(scalar)
        .unwrap_or_default();
    // The QR lets the county check a paper notice: number, case, and a hash
    // prefix of the exact fields printed.
    let digest = yichuang_wire::sha256_hex(fields.to_string().as_bytes());
    Ok(Document {
        title: template.title.clone(),
        qr_payload: doc_no
            .as_ref()
            .map(|d| format!("YC1|{d}|{case_no}|{}", &digest[..16])),
        doc_no,
        blocks,
        footer_note: None,
        creation_date: issued_at.to_owned(),
        pdf_title: template.title.clone(),
    })
}

fn specs(value: &str) -> Vec<FontSpec> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.rsplit_once('#') {
            Some((p, i)) if i.parse::<u32>().is_ok() => FontSpec::new(p, i.parse().unwrap_or(0)),
            _ => FontSpec::new(s, 0),
        })
        .collect()
}

pub(crate) fn pdf_error(e: yichuang_pdf::PdfError) -> Error {
    Error::Rule {
        rule: "pdf",
        en: e.to_string(),
        zh: e.user_message(),
    }
}

/// One font a settings form can offer: `value` is what `fonts.*` settings take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FontChoice {
    pub value: String,
    pub label: String,
}

/// The fonts the notices use now (per role, first is preferred) and the
/// Chinese fonts installed on this machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FontsInUse {
    pub body: Vec<String>,
    pub title: Vec<String>,
    pub heading: Vec<String>,
    pub installed: Vec<FontChoice>,
}

fn spec_value(s: &FontSpec) -> String {
    format!("{}#{}", s.path.display(), s.face_index)
}

/// A `fonts.*` setting names files that exist (checked when it is set, so a
/// typo is refused at the settings form, not at the next print).
pub(crate) fn check_font_setting(value: &str) -> Result<()> {
    for spec in specs(value) {
        if !spec.path.is_file() {
            return Err(Error::invalid(
                "fonts",
                format!("font file not found: {}", spec.path.display()),
                format!("字体文件不存在：{}", spec.path.display()),
            ));
        }
    }
    Ok(())
}

impl Engine {
    /// What the settings form shows for fonts.
    pub fn fonts_in_use(&self) -> Result<FontsInUse> {
        // The settings form must not load the fonts (≈ 140 MB for the Noto
        // collections); the discovered configuration names the same chains.
        let cfg = FontConfig::discover(&self.font_overrides()?).map_err(pdf_error)?;
        let role = |r: FontRole| cfg.describe(r).iter().map(spec_value).collect();
        Ok(FontsInUse {
            body: role(FontRole::Body),
            title: role(FontRole::Title),
            heading: role(FontRole::Heading),
            installed: yichuang_pdf::installed_cjk_fonts()
                .into_iter()
                .map(|f| FontChoice {
                    value: spec_value(&f.spec),
                    label: if f.style.is_empty() {
                        f.family
                    } else {
                        format!("{} {}", f.family, f.style)
                    },
                })
                .collect(),
        })
    }

    /// Font chains from settings `fonts.body|title|heading|fallback`
    /// (`path[#face]` separated by `;`) and `fonts.exclusive`, then the system's.
    pub fn font_overrides(&self) -> Result<FontOverrides> {
        let get = |k: &str| -> Result<Vec<FontSpec>> {
            Ok(self
                .setting(&format!("fonts.{k}"))?
                .map(|v| specs(&v))
                .unwrap_or_default())
        };
        Ok(FontOverrides {
            body: get("body")?,
            title: get("title")?,
            heading: get("heading")?,
            fallback: get("fallback")?,
            exclusive: self.setting("fonts.exclusive")?.as_deref() == Some("1"),
        })
    }

    /// The loaded fonts (read once per engine; settings changes reset it).
    pub fn fonts(&self) -> Result<Arc<FontSet>> {
        if let Some(f) = self.fonts.borrow().as_ref() {
            return Ok(f.clone());
        }
        let cfg = FontConfig::discover(&self.font_overrides()?).map_err(pdf_error)?;
        let set = Arc::new(FontSet::load(&cfg).map_err(pdf_error)?);
        *self.fonts.borrow_mut() = Some(set.clone());
        Ok(set)
    }

    /// Renders a notice from its snapshot: identical inputs give identical bytes.
    pub fn render_fields(
        &self,
        kind: NoticeKind,
        fields: &Value,
        template_version: &str,
        issued_at: &str,
        marker: Option<&str>,
    ) -> Result<Vec<u8>> {
        let set = self.templates(template_version)?;
        let doc = build_document(set.get(kind)?, fields, issued_at, marker)?;
        let fonts = self.fonts()?;
        yichuang_pdf::render(&doc, &fonts).map_err(pdf_error)
    }
}
