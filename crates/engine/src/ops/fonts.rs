//! Fonts for notices (settings, installed CJK faces, the loaded font set)
//! and rendering a notice's fields to PDF bytes.

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use yichuang_pdf::{FontConfig, FontListing, FontOverrides, FontRole, FontSet, FontSpec};

use crate::domain::notice::NoticeKind;
use crate::domain::template::build_document;
use crate::engine::Engine;
use crate::error::{Error, Result};

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
        // The settings form needs only the chains: no font file is mapped
        // (and on a new station none is hashed) for it.
        let listing = self.font_listing()?;
        let cfg =
            FontConfig::discover_with(&self.font_overrides()?, &listing).map_err(pdf_error)?;
        let role = |r: FontRole| cfg.describe(r).iter().map(spec_value).collect();
        Ok(FontsInUse {
            body: role(FontRole::Body),
            title: role(FontRole::Title),
            heading: role(FontRole::Heading),
            installed: yichuang_pdf::installed_cjk_fonts(&listing)
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

    /// The fonts, mapped once per engine (settings changes reset it), with
    /// every file's SHA-256 known: from the station's cache when the file is
    /// unchanged, else read once and remembered.
    pub fn fonts(&self) -> Result<Arc<FontSet>> {
        if let Some(f) = self.fonts.borrow().as_ref() {
            return Ok(f.clone());
        }
        let cfg = FontConfig::discover_with(&self.font_overrides()?, &self.font_listing()?)
            .map_err(pdf_error)?;
        let set = Arc::new(FontSet::load(&cfg).map_err(pdf_error)?);
        self.recall_font_hashes(&set)?;
        *self.fonts.borrow_mut() = Some(set.clone());
        Ok(set)
    }

    /// Fontconfig's list of installed faces, kept in the station while its
    /// fingerprint (font and configuration directories) is unchanged, so a
    /// fresh process's first print runs no `fc-list`.
    fn font_listing(&self) -> Result<FontListing> {
        let fingerprint = yichuang_pdf::fontconfig_fingerprint();
        let kept: Option<String> = self
            .conn
            .query_row(
                "SELECT listing FROM font_listing WHERE fingerprint = ?1",
                [&fingerprint],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(text) = kept {
            return Ok(FontListing::from_text(text));
        }
        let listing = FontListing::query();
        self.conn.execute(
            "INSERT INTO font_listing (id, fingerprint, listing) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET fingerprint = ?1, listing = ?2",
            params![fingerprint, listing.as_text()],
        )?;
        Ok(listing)
    }

    /// Fills in the hashes the cache holds for unchanged files; hashes the
    /// rest and stores them.
    fn recall_font_hashes(&self, set: &FontSet) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT identity, sha256 FROM font_file_hashes WHERE path = ?1")?;
        let mut fresh = Vec::new();
        for file in set.files() {
            let path = file.path.to_string_lossy().into_owned();
            let cached: Option<(String, String)> = stmt
                .query_row([&path], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let known = cached.is_some_and(|(id, sha)| set.remember_hash(&file.path, &id, &sha));
            if !known {
                fresh.push((path, file.identity));
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        // Hashes every file not yet known (once per font file and station).
        set.font_hashes().map_err(pdf_error)?;
        for file in set.files() {
            let path = file.path.to_string_lossy().into_owned();
            if let (Some(sha), Some((_, identity))) =
                (file.sha256, fresh.iter().find(|f| f.0 == path))
            {
                self.conn.execute(
                    "INSERT INTO font_file_hashes (path, identity, sha256) VALUES (?1, ?2, ?3)
                     ON CONFLICT (path) DO UPDATE SET identity = ?2, sha256 = ?3",
                    params![path, identity, sha],
                )?;
            }
        }
        Ok(())
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
