//! Notice templates (data, versioned, replaceable by the county) and the
//! building of a typesetter `Document` from a notice's field snapshot. Pure:
//! fonts and the PDF itself are `ops::fonts`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use yichuang_pdf::{Block, Document};

use crate::catalog::{ALL_ROUTES, RemedyRoute};
use crate::error::{Error, Result};
use crate::notice::{ALL_KINDS, NoticeKind, ORIGINAL_KINDS};

pub const BUNDLED_TEMPLATES: &str = include_str!("../../../assets/templates/notices.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSet {
    pub version: String,
    pub templates: BTreeMap<String, Template>,
    /// The remedy sentence per remedy route (`review_or_lawsuit`, …), with
    /// placeholders `{remedy.*}` for the bodies and periods.
    #[serde(default)]
    pub remedies: BTreeMap<RemedyRoute, String>,
    /// Other fixed legal sentences a notice prints (e.g. `restart_note`).
    #[serde(default)]
    pub sentences: BTreeMap<String, String>,
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
        // A set stored before a newer kind existed still loads, for
        // re-rendering its notices; a new set must have every kind
        // (`require_every_kind`).
        for kind in ALL_KINDS {
            let t = match set.get(kind) {
                Ok(t) => t,
                Err(e) if ORIGINAL_KINDS.contains(&kind) => return Err(e),
                Err(_) => continue,
            };
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
                        // Summed wide: widths from a file must not overflow.
                        || widths.iter().map(|w| u64::from(*w)).sum::<u64>() > 28
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

    /// A set being imported or published has every notice kind and every
    /// remedy sentence.
    pub fn require_every_kind(&self) -> Result<()> {
        for kind in ALL_KINDS {
            self.get(kind)?;
        }
        for route in ALL_ROUTES {
            if !self.remedies.contains_key(&route) {
                return Err(Error::invalid(
                    "templates",
                    format!(
                        "template set without the remedy sentence {}",
                        route.as_str()
                    ),
                    format!(
                        "文书模板缺少救济途径“{}”的告知文字（remedies.{}）",
                        route.label_zh(),
                        route.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether this set lacks something the current notices need.
    pub fn is_outdated(&self) -> bool {
        self.require_every_kind().is_err()
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
            // Periods in legal sentences are written in Chinese numerals (六十日).
            "cn" => v.as_u64().and_then(chinese_numeral),
            _ => return Err(bad_placeholder(spec)),
        }
        .ok_or_else(|| missing(path))?;
        out.push_str(&s);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// 0–9999 in Chinese numerals as legal text writes periods: 六, 十五, 六十,
/// 一百零五; `None` beyond.
pub fn chinese_numeral(n: u64) -> Option<String> {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    const UNITS: [&str; 4] = ["", "十", "百", "千"];
    if n >= 10_000 {
        return None;
    }
    if n == 0 {
        return Some(DIGITS[0].into());
    }
    let digits: Vec<usize> = n.to_string().bytes().map(|b| (b - b'0') as usize).collect();
    let len = digits.len();
    let mut out = String::new();
    let mut zero_pending = false;
    for (i, &d) in digits.iter().enumerate() {
        let unit = len - 1 - i;
        if d == 0 {
            zero_pending = !out.is_empty();
            continue;
        }
        if zero_pending {
            out.push_str(DIGITS[0]);
            zero_pending = false;
        }
        // 十五, not 一十五, when the number starts with the tens.
        if !(d == 1 && unit == 1 && out.is_empty()) {
            out.push_str(DIGITS[d]);
        }
        out.push_str(UNITS[unit]);
    }
    Some(out)
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

impl TemplateSet {
    /// A fixed sentence of the template set (e.g. `restart_note`).
    pub fn sentence(&self, key: &str) -> Result<&str> {
        self.sentences.get(key).map(String::as_str).ok_or_else(|| {
            Error::invalid(
                "templates",
                format!("template set {} has no sentence {key}", self.version),
                format!(
                    "文书模板（版本 {}）缺少固定文字“{key}”，请导入新版文书模板",
                    self.version
                ),
            )
        })
    }

    /// The remedy sentence of a route.
    pub fn remedy_sentence(&self, route: RemedyRoute) -> Result<&str> {
        self.remedies
            .get(&route)
            .map(String::as_str)
            .ok_or_else(|| {
                Error::invalid(
                    "templates",
                    format!(
                        "template set {} has no remedy sentence for {}",
                        self.version,
                        route.as_str()
                    ),
                    format!(
                        "文书模板（版本 {}）缺少救济途径“{}”的告知文字，请导入新版文书模板",
                        self.version,
                        route.label_zh()
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn periods_in_chinese_numerals() {
        for (n, zh) in [
            (0, "零"),
            (6, "六"),
            (10, "十"),
            (15, "十五"),
            (30, "三十"),
            (45, "四十五"),
            (60, "六十"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
            (1001, "一千零一"),
        ] {
            assert_eq!(chinese_numeral(n).as_deref(), Some(zh), "{n}");
        }
        assert_eq!(chinese_numeral(10_000), None);
    }

    #[test]
    fn fill_writes_periods_and_refuses_missing_values() {
        let f = json!({"remedy": {"review_days": 60, "court": "示范县人民法院"}});
        assert_eq!(
            fill("{remedy.review_days|cn}日内向{remedy.court}", &f).unwrap(),
            "六十日内向示范县人民法院"
        );
        assert!(fill("{remedy.lawsuit_months|cn}个月", &f).is_err());
        assert!(fill("{remedy.court|cn}", &f).is_err());
    }

    #[test]
    fn the_bundled_templates_carry_every_remedy_sentence() {
        let set = TemplateSet::parse(BUNDLED_TEMPLATES).unwrap();
        for route in [
            RemedyRoute::ReviewOrLawsuit,
            RemedyRoute::ReviewFirst,
            RemedyRoute::LabourArbitrationCourt,
        ] {
            assert!(set.remedies.contains_key(&route), "{route:?}");
        }
        assert!(set.sentences.contains_key("restart_note"));
    }
}
