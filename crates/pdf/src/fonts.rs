//! Font discovery, loading, coverage checks and measurement.
//!
//! Every role (body, title, heading) has a chain of faces; a character is drawn
//! with the first face of the chain that has a glyph for it, ending with the
//! wide-coverage fallback faces for rare characters (生僻字).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::PdfError;

/// One face of a font file; `face_index` selects the face inside a `.ttc`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FontSpec {
    pub path: PathBuf,
    pub face_index: u32,
}

impl FontSpec {
    pub fn new(path: impl Into<PathBuf>, face_index: u32) -> FontSpec {
        FontSpec {
            path: path.into(),
            face_index,
        }
    }
}

/// Site configuration: faces listed here come first in their role's chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontOverrides {
    pub body: Vec<FontSpec>,
    pub title: Vec<FontSpec>,
    pub heading: Vec<FontSpec>,
    pub fallback: Vec<FontSpec>,
    /// When true, only the configured faces are used (no system search);
    /// useful for a bundled installer that ships its own fonts.
    pub exclusive: bool,
}

/// The font chains, in priority order, before the files are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontConfig {
    pub body: Vec<FontSpec>,
    pub title: Vec<FontSpec>,
    pub heading: Vec<FontSpec>,
    pub fallback: Vec<FontSpec>,
}

/// Which chain a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FontRole {
    Body,
    Title,
    Heading,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Body,
    /// Used only when no body face was found at all.
    LastResort,
    Title,
    Heading,
    Fallback,
}

/// A known font location. Windows paths and Debian package paths live here and
/// nowhere else; fontconfig family names are searched via `fc-list`.
struct Candidate {
    slot: Slot,
    /// Absolute path, or `None` to look the family up with fontconfig.
    path: Option<&'static str>,
    /// Fontconfig family name (used when `path` is `None`).
    family: &'static str,
    face_index: u32,
}

const fn file(slot: Slot, path: &'static str, face_index: u32) -> Candidate {
    Candidate {
        slot,
        path: Some(path),
        family: "",
        face_index,
    }
}

const fn family(slot: Slot, family: &'static str) -> Candidate {
    Candidate {
        slot,
        path: None,
        family,
        face_index: 0,
    }
}

/// Known candidates, most preferred first within each slot.
const CANDIDATES: &[Candidate] = &[
    // Body: the site's licensed FangSong, then SimSun, then free Noto Serif CJK SC.
    file(Slot::Body, r"%WINDIR%\Fonts\simfang.ttf", 0),
    family(Slot::Body, "FangSong_GB2312"),
    family(Slot::Body, "仿宋_GB2312"),
    family(Slot::Body, "FangSong"),
    family(Slot::Body, "仿宋"),
    file(Slot::Body, r"%WINDIR%\Fonts\simsun.ttc", 0),
    family(Slot::Body, "SimSun"),
    family(Slot::Body, "宋体"),
    // Face 2 of the Noto CJK collections is SC; face 0 (JP) has the wrong glyph forms.
    file(
        Slot::Body,
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        2,
    ),
    file(
        Slot::Body,
        "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
        2,
    ),
    family(Slot::Body, "Noto Serif CJK SC"),
    family(Slot::Body, "Source Han Serif SC"),
    family(Slot::Body, "Source Han Serif CN"),
    // Not Song/FangSong, but printing beats refusing on a machine without them.
    family(Slot::LastResort, "Noto Sans CJK SC"),
    family(Slot::LastResort, "Source Han Sans SC"),
    family(Slot::LastResort, "WenQuanYi Zen Hei"),
    family(Slot::LastResort, "AR PL UMing CN"),
    // Title: a 小标宋 where licensed, else Noto Serif CJK SC Bold.
    family(Slot::Title, "FZXiaoBiaoSong-B05S"),
    family(Slot::Title, "方正小标宋简体"),
    file(
        Slot::Title,
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        2,
    ),
    file(
        Slot::Title,
        "/usr/share/fonts/noto-cjk/NotoSerifCJK-Bold.ttc",
        2,
    ),
    family(Slot::Title, "Noto Serif CJK SC:style=Bold"),
    // Headings and table heads: 黑体-style.
    file(Slot::Heading, r"%WINDIR%\Fonts\simhei.ttf", 0),
    family(Slot::Heading, "SimHei"),
    family(Slot::Heading, "黑体"),
    file(
        Slot::Heading,
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        2,
    ),
    file(
        Slot::Heading,
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        2,
    ),
    family(Slot::Heading, "Noto Sans CJK SC:style=Bold"),
    // Rare characters: HanaMin A (BMP + Ext-A) and B (Ext-B and beyond).
    file(
        Slot::Fallback,
        "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
        0,
    ),
    file(
        Slot::Fallback,
        "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
        0,
    ),
    family(Slot::Fallback, "HanaMinA"),
    family(Slot::Fallback, "HanaMinB"),
    file(Slot::Fallback, r"%WINDIR%\Fonts\simsunb.ttf", 0),
];

impl FontConfig {
    /// The chain a role will use, most preferred first, without reading any
    /// font file (the same order as [`FontSet::describe`] once loaded).
    pub fn describe(&self, role: FontRole) -> Vec<FontSpec> {
        let own: &[FontSpec] = match role {
            FontRole::Body => &[],
            FontRole::Title => &self.title,
            FontRole::Heading => &self.heading,
        };
        let mut v: Vec<FontSpec> = Vec::new();
        for s in own.iter().chain(&self.body).chain(&self.fallback) {
            if !v.contains(s) {
                v.push(s.clone());
            }
        }
        v
    }

    /// Configured paths first, then system fonts, then the free Noto / Hanazono faces.
    pub fn discover(overrides: &FontOverrides) -> Result<FontConfig, PdfError> {
        FontConfig::discover_in(overrides, FontListing::query)
    }

    /// [`FontConfig::discover`] with fontconfig's answer given (one kept
    /// while [`fontconfig_fingerprint`] is unchanged), so no `fc-list` runs.
    pub fn discover_with(
        overrides: &FontOverrides,
        listing: &FontListing,
    ) -> Result<FontConfig, PdfError> {
        FontConfig::discover_in(overrides, || listing.clone())
    }

    fn discover_in(
        overrides: &FontOverrides,
        listing: impl FnOnce() -> FontListing,
    ) -> Result<FontConfig, PdfError> {
        let mut listing = Some(listing);
        let mut cfg = FontConfig {
            body: overrides.body.clone(),
            title: overrides.title.clone(),
            heading: overrides.heading.clone(),
            fallback: overrides.fallback.clone(),
        };
        for spec in cfg
            .body
            .iter()
            .chain(&cfg.title)
            .chain(&cfg.heading)
            .chain(&cfg.fallback)
        {
            if !spec.path.is_file() {
                return Err(PdfError::FontNotFound {
                    path: spec.path.clone(),
                });
            }
        }
        if !overrides.exclusive {
            let mut last_resort = Vec::new();
            let mut fc_cache: Option<Vec<(String, FontSpec)>> = None;
            for cand in CANDIDATES {
                let found = match cand.path {
                    Some(p) => {
                        let p = expand_windir(p);
                        p.is_file().then(|| FontSpec::new(p, cand.face_index))
                    }
                    None => {
                        let list = fc_cache.get_or_insert_with(|| {
                            listing.take().map(|l| l().entries()).unwrap_or_default()
                        });
                        fontconfig_lookup(list, cand.family)
                    }
                };
                let Some(mut spec) = found else { continue };
                // Distros alias one file under several names (e.g. Debian's
                // fonts-japanese-mincho.ttf → HanaMinA.ttf); load it once.
                if let Ok(real) = std::fs::canonicalize(&spec.path) {
                    spec.path = real;
                }
                let chain = match cand.slot {
                    Slot::Body => &mut cfg.body,
                    Slot::LastResort => &mut last_resort,
                    Slot::Title => &mut cfg.title,
                    Slot::Heading => &mut cfg.heading,
                    Slot::Fallback => &mut cfg.fallback,
                };
                if !chain.contains(&spec) {
                    chain.push(spec);
                }
            }
            if cfg.body.is_empty() {
                cfg.body = last_resort;
            }
        }
        if cfg.body.is_empty() {
            return Err(PdfError::NoFont { role: "body" });
        }
        Ok(cfg)
    }
}

/// `%WINDIR%` → the Windows directory (`C:\Windows` when unset).
fn expand_windir(path: &str) -> PathBuf {
    match path.strip_prefix("%WINDIR%") {
        Some(rest) => {
            let dir = std::env::var("WINDIR").unwrap_or_else(|_| r"C:\Windows".to_string());
            PathBuf::from(format!("{dir}{rest}"))
        }
        None => PathBuf::from(path),
    }
}

/// A Chinese-capable face installed on this machine, for a font picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledFont {
    pub family: String,
    pub style: String,
    pub spec: FontSpec,
}

/// The faces of `listing` with Chinese coverage (what `fc-list :lang=zh`
/// answers: a language set naming `zh` or a `zh-` territory), and on Windows
/// the known Chinese fonts in the Windows font folder; sorted by family.
pub fn installed_cjk_fonts(listing: &FontListing) -> Vec<InstalledFont> {
    let mut v: Vec<InstalledFont> = parse_fc_list(&listing.0)
        .into_iter()
        .filter(|e| e.chinese)
        .map(|FcEntry { names, spec, .. }| {
            let (families, styles) = names.split_once('\t').unwrap_or((&names, ""));
            let first = |s: &str| s.split(',').next().unwrap_or("").trim().to_owned();
            InstalledFont {
                family: first(families),
                style: first(styles),
                spec,
            }
        })
        .collect();
    for cand in CANDIDATES {
        if let Some(p) = cand.path.filter(|p| p.starts_with("%WINDIR%")) {
            let path = expand_windir(p);
            if path.is_file() {
                v.push(InstalledFont {
                    family: path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    style: String::new(),
                    spec: FontSpec::new(path, cand.face_index),
                });
            }
        }
    }
    v.sort_by(|a, b| (&a.family, &a.style, &a.spec.path).cmp(&(&b.family, &b.style, &b.spec.path)));
    v.dedup_by(|a, b| a.spec == b.spec);
    v
}

/// What `fc-list` answers for every installed face, as its text. Running
/// fc-list costs a process and fontconfig's start-up (tens of ms); a caller
/// that keeps the text while [`fontconfig_fingerprint`] is unchanged pays it
/// only when the installed fonts or fontconfig's settings change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontListing(String);

impl FontListing {
    /// Asks fontconfig; empty where it is absent (Windows).
    pub fn query() -> FontListing {
        FontListing(fc_list_text(&[]))
    }

    /// A listing kept from an earlier [`FontListing::query`].
    pub fn from_text(text: String) -> FontListing {
        FontListing(text)
    }

    pub fn as_text(&self) -> &str {
        &self.0
    }

    fn entries(&self) -> Vec<(String, FontSpec)> {
        parse_fc_list(&self.0)
            .into_iter()
            .map(|e| (e.names, e.spec))
            .collect()
    }
}

/// Changes whenever fontconfig's answer may: the modification times of the
/// font directories it scans (directories, recursively, as fontconfig's own
/// cache checks them), of its configuration files, and the environment
/// variables that point it elsewhere. A `stat` per directory: well under a
/// millisecond on a counter PC.
pub fn fontconfig_fingerprint() -> String {
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let home = env("HOME");
    let data_home = env("XDG_DATA_HOME").or_else(|| home.as_ref().map(|h| h.join(".local/share")));
    let config_home = env("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut font_dirs: Vec<PathBuf> =
        vec!["/usr/share/fonts".into(), "/usr/local/share/fonts".into()];
    font_dirs.extend(data_home.as_ref().map(|d| d.join("fonts")));
    font_dirs.extend(home.as_ref().map(|h| h.join(".fonts")));
    let mut conf_dirs: Vec<PathBuf> = vec!["/etc/fonts".into(), "/etc/fonts/conf.d".into()];
    conf_dirs.extend(config_home.map(|c| c.join("fontconfig")));
    conf_dirs.extend(env("FONTCONFIG_PATH"));
    let mut watched: Vec<PathBuf> = Vec::new();
    watched.extend(env("FONTCONFIG_FILE"));
    // Font folders a configuration file adds (`<dir>`) are watched too
    // (fonts.conf is among /etc/fonts's files).
    let mut conf_files: Vec<PathBuf> = watched.clone();
    for d in &conf_dirs {
        if let Ok(read) = std::fs::read_dir(d) {
            conf_files.extend(
                read.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "conf")),
            );
        }
    }
    for f in &conf_files {
        if let Ok(text) = std::fs::read_to_string(f) {
            let base = f.parent().unwrap_or(Path::new("/"));
            for d in dirs_named_in(&text, base, home.as_deref(), data_home.as_deref()) {
                if !font_dirs.contains(&d) {
                    font_dirs.push(d);
                }
            }
        }
    }
    let vars: String = [
        "FONTCONFIG_FILE",
        "FONTCONFIG_PATH",
        "FONTCONFIG_SYSROOT",
        "HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
    ]
    .iter()
    .map(|k| format!("{k}={:?}\n", std::env::var_os(k)))
    .chain([format!("format={FC_LIST_FORMAT:?}\n")])
    .collect();
    fingerprint_of(&font_dirs, &conf_dirs, &watched, &vars)
}

/// The font folders a fontconfig configuration text names with `<dir>`:
/// `~/` from the home folder, `prefix="xdg"` under the XDG data folder, a
/// relative path from the configuration file's folder.
fn dirs_named_in(
    text: &str,
    base: &Path,
    home: Option<&Path>,
    data_home: Option<&Path>,
) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("<dir") {
        rest = &rest[at + 4..];
        // `<dir>` or `<dir attr…>`, not `<dirname>` or `<dir/>`.
        let Some(end) = rest.find('>') else { break };
        let attrs = &rest[..end];
        if !(attrs.is_empty() || attrs.starts_with(char::is_whitespace)) || attrs.ends_with('/') {
            continue;
        }
        rest = &rest[end + 1..];
        let Some(close) = rest.find("</dir>") else {
            break;
        };
        let path = rest[..close].trim();
        rest = &rest[close + 6..];
        if path.is_empty() {
            continue;
        }
        let dir = if attrs.contains("prefix=\"xdg\"") {
            data_home.map(|d| d.join(path))
        } else if let Some(sub) = path.strip_prefix("~/") {
            home.map(|h| h.join(sub))
        } else if path == "~" {
            home.map(Path::to_path_buf)
        } else {
            Some(base.join(path))
        };
        dirs.extend(dir);
    }
    dirs
}

/// The fingerprint of font directories (each directory's identity,
/// recursively), configuration directories and files (each file's identity)
/// and the environment given as text.
fn fingerprint_of(
    font_dirs: &[PathBuf],
    conf_dirs: &[PathBuf],
    files: &[PathBuf],
    vars: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(vars);
    let mut stamp = |path: &Path, meta: &std::fs::Metadata| {
        h.update(format!("{}\t{}\n", path.display(), file_identity(meta)));
    };
    for dir in font_dirs {
        let mut todo = vec![dir.clone()];
        while let Some(d) = todo.pop() {
            let Ok(meta) = std::fs::metadata(&d) else {
                continue;
            };
            stamp(&d, &meta);
            let Ok(read) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut subdirs: Vec<PathBuf> = read
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect();
            subdirs.sort();
            todo.extend(subdirs.into_iter().rev());
        }
    }
    for dir in conf_dirs {
        let Ok(read) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for f in entries {
            // Follows conf.d's symlinks: an edited configuration file counts.
            if let Ok(meta) = std::fs::metadata(&f) {
                stamp(&f, &meta);
            }
        }
    }
    for f in files {
        if let Ok(meta) = std::fs::metadata(f) {
            stamp(f, &meta);
        }
    }
    format!("{:x}", h.finalize())
}

/// The listing's line format; part of [`fontconfig_fingerprint`], so a
/// listing kept in another format is asked again.
const FC_LIST_FORMAT: &str = "%{family}\t%{style}\t%{index}\t%{lang}\t%{file}\n";

fn fc_list_text(pattern: &[&str]) -> String {
    let out = Command::new("fc-list")
        .args(pattern)
        .args(["-f", FC_LIST_FORMAT])
        .output();
    match out {
        Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        Err(_) => String::new(),
    }
}

/// One face of the listing: its family and style lists (tab between),
/// where it is, and whether it covers Chinese.
struct FcEntry {
    names: String,
    spec: FontSpec,
    chinese: bool,
}

fn parse_fc_list(text: &str) -> Vec<FcEntry> {
    let mut v: Vec<FcEntry> = text
        .lines()
        .filter_map(|line| {
            let mut it = line.splitn(5, '\t');
            let fam = it.next()?;
            let style = it.next()?;
            let idx = it.next()?.parse().ok()?;
            let langs = it.next()?;
            let path = it.next()?;
            Some(FcEntry {
                names: format!("{fam}\t{style}"),
                spec: FontSpec::new(path, idx),
                chinese: langs.split('|').any(|l| l == "zh" || l.starts_with("zh-")),
            })
        })
        .collect();
    // fc-list order is unspecified; sort so discovery is reproducible.
    v.sort_by(|a, b| (&a.spec.path, a.spec.face_index).cmp(&(&b.spec.path, b.spec.face_index)));
    v
}

/// Finds `Family` or `Family:style=Style` (exact family match, never a substitute).
fn fontconfig_lookup(list: &[(String, FontSpec)], query: &str) -> Option<FontSpec> {
    let (fam, style) = match query.split_once(":style=") {
        Some((f, s)) => (f, Some(s)),
        None => (query, None),
    };
    list.iter()
        .find(|(names, _)| {
            let (families, styles) = names.split_once('\t').unwrap_or((names, ""));
            let fam_ok = families.split(',').any(|f| f.trim() == fam);
            let style_ok = match style {
                Some(s) => styles.split(',').any(|x| x.trim() == s),
                None => styles
                    .split(',')
                    .any(|x| matches!(x.trim(), "Regular" | "Book" | "Normal" | "")),
            };
            fam_ok && style_ok
        })
        .map(|(_, spec)| spec.clone())
}

/// One font file, memory-mapped: opening it reads nothing but its header
/// pages; a table is read (and only the pages of it a lookup touches) when
/// coverage, a width or a glyph is asked for. The mapping is shared by the
/// faces of a collection.
pub(crate) struct MappedFile {
    path: PathBuf,
    map: memmap2::Mmap,
    /// [`file_identity`] when mapped: a changed file is refused before it
    /// is embedded or hashed, as the output would silently change.
    identity: String,
    /// SHA-256 of the whole file, for the notice record and the subset
    /// tags: given by the caller's cache ([`FontSet::remember_hash`]) or
    /// computed on first need.
    sha256: OnceLock<String>,
}

impl MappedFile {
    fn open(path: &Path) -> Result<MappedFile, PdfError> {
        let read_err = |source| PdfError::FontRead {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        // SAFETY: the map is read-only and private to this process. Font
        // files are installed read-only system or site files; one rewritten
        // in place while mapped is refused before use (`check_unchanged`),
        // one replaced (a package upgrade writes a new file) keeps its old
        // contents mapped. Only truncation by another program during a
        // render could fault, as with any mapped file.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(read_err)?;
        Ok(MappedFile {
            path: path.to_path_buf(),
            map,
            identity: file_identity(&meta),
            sha256: OnceLock::new(),
        })
    }

    /// The file on disk is still the one mapped (same inode, size, times).
    fn check_unchanged(&self) -> Result<(), PdfError> {
        let same = std::fs::metadata(&self.path)
            .map(|m| file_identity(&m) == self.identity)
            .unwrap_or(false);
        if same {
            Ok(())
        } else {
            Err(PdfError::FontChanged {
                path: self.path.clone(),
            })
        }
    }

    /// SHA-256 of the file, computed once if the caller did not know it.
    fn sha256(&self) -> Result<&str, PdfError> {
        if let Some(s) = self.sha256.get() {
            return Ok(s);
        }
        self.check_unchanged()?;
        // Read, not the mapping: hashing through the map would leave every
        // page of the file resident in this process.
        let read_err = |source| PdfError::FontRead {
            path: self.path.clone(),
            source,
        };
        let mut file = std::fs::File::open(&self.path).map_err(read_err)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).map_err(read_err)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        // A file changed while it was read is not the mapped one.
        self.check_unchanged()?;
        let sha = hex(&hasher.finalize());
        Ok(self.sha256.get_or_init(|| sha))
    }
}

/// What identifies one state of a font file on disk: a cache of its hash
/// keyed on this is valid as long as the key matches. On Unix: device,
/// inode, size, modification and status-change times in ns (any write to the
/// file changes both times; the status-change time cannot be set back by
/// `touch` or any other call; a replaced file has a new inode). Elsewhere:
/// size, modification and creation times.
pub fn file_identity(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "dev={} ino={} size={} mtime={}.{:09} ctime={}.{:09}",
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        )
    }
    #[cfg(not(unix))]
    {
        let ns = |t: std::io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        };
        format!(
            "size={} mtime={} btime={}",
            meta.len(),
            ns(meta.modified()),
            ns(meta.created())
        )
    }
}

/// A font file of a loaded set, for a hash cache: its path, the identity a
/// cached hash must match, and the hash once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFile {
    pub path: PathBuf,
    pub identity: String,
    pub sha256: Option<String>,
}

/// One face of a mapped file. Nothing of its outlines is parsed or kept:
/// each render subsets the glyphs it uses straight from the mapping.
pub(crate) struct LoadedFont {
    pub spec: FontSpec,
    pub file_name: String,
    file: Arc<MappedFile>,
    pub units_per_em: f32,
    space_gid: u16,
}

impl LoadedFont {
    /// The face for coverage and widths, read in place from the mapping.
    pub fn face(&self) -> Option<ttf_parser::Face<'_>> {
        crate::sfnt::metrics_face(&self.file.map, self.spec.face_index)
    }

    pub fn sha256(&self) -> Result<&str, PdfError> {
        self.file.sha256()
    }

    /// The embeddable program of `gids` alone, parsed for the PDF writer,
    /// and the new glyph id of each (see `sfnt::subset_program`). The file
    /// must still be the one mapped, or output would change.
    pub fn subset(
        &self,
        gids: &BTreeSet<u16>,
    ) -> Result<(printpdf::ParsedFont, BTreeMap<u16, u16>), PdfError> {
        let parse_err = || PdfError::FontParse {
            path: self.spec.path.clone(),
            face_index: self.spec.face_index,
        };
        self.file.check_unchanged()?;
        let tables =
            crate::sfnt::ProgramTables::new(&self.file.map, self.spec.face_index, self.space_gid)
                .ok_or_else(parse_err)?;
        let (program, map) = crate::sfnt::subset_program(&tables, gids).ok_or_else(parse_err)?;
        let mut warnings = Vec::new();
        let parsed =
            printpdf::ParsedFont::from_bytes(&program, 0, &mut warnings).ok_or_else(parse_err)?;
        Ok((parsed, map))
    }
}

/// Loaded fonts, indexed by the chains of a [`FontConfig`].
pub struct FontSet {
    pub(crate) fonts: Vec<LoadedFont>,
    body: Vec<usize>,
    title: Vec<usize>,
    heading: Vec<usize>,
    fallback: Vec<usize>,
}

impl std::fmt::Debug for FontSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontSet")
            .field(
                "fonts",
                &self.fonts.iter().map(|x| &x.spec).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl FontSet {
    /// Maps every file of the config (each once) and reads each face's
    /// header; no file is read whole and no hash computed.
    pub fn load(cfg: &FontConfig) -> Result<FontSet, PdfError> {
        let mut set = FontSet {
            fonts: Vec::new(),
            body: Vec::new(),
            title: Vec::new(),
            heading: Vec::new(),
            fallback: Vec::new(),
        };
        let slots = [
            (Slot::Body, &cfg.body),
            (Slot::Title, &cfg.title),
            (Slot::Heading, &cfg.heading),
            (Slot::Fallback, &cfg.fallback),
        ];
        // Distinct faces in first-use order.
        let mut specs: Vec<&FontSpec> = Vec::new();
        for (_, chain) in &slots {
            for spec in chain.iter() {
                if !specs.contains(&spec) {
                    specs.push(spec);
                }
            }
        }
        let mut files: Vec<Arc<MappedFile>> = Vec::new();
        for spec in specs {
            let file = match files.iter().find(|f| f.path == spec.path) {
                Some(f) => f.clone(),
                None => {
                    let f = Arc::new(MappedFile::open(&spec.path)?);
                    files.push(f.clone());
                    f
                }
            };
            set.fonts.push(load_face(spec, file)?);
        }
        for (slot, chain_specs) in slots {
            let chain = match slot {
                Slot::Body | Slot::LastResort => &mut set.body,
                Slot::Title => &mut set.title,
                Slot::Heading => &mut set.heading,
                Slot::Fallback => &mut set.fallback,
            };
            for spec in chain_specs {
                if let Some(idx) = set.fonts.iter().position(|f| &f.spec == spec)
                    && !chain.contains(&idx)
                {
                    chain.push(idx);
                }
            }
        }
        if set.body.is_empty() {
            return Err(PdfError::NoFont { role: "body" });
        }
        Ok(set)
    }

    /// Each distinct font file once, in load order, for a hash cache.
    pub fn files(&self) -> Vec<FontFile> {
        let mut v: Vec<FontFile> = Vec::new();
        for f in &self.fonts {
            if !v.iter().any(|x| x.path == f.file.path) {
                v.push(FontFile {
                    path: f.file.path.clone(),
                    identity: f.file.identity.clone(),
                    sha256: f.file.sha256.get().cloned(),
                });
            }
        }
        v
    }

    /// Gives the SHA-256 of a file from a cache, so it is never read whole.
    /// Taken only if `identity` is the mapped file's; returns whether it was.
    pub fn remember_hash(&self, path: &Path, identity: &str, sha256: &str) -> bool {
        match self.fonts.iter().find(|f| f.file.path == path) {
            Some(f) if f.file.identity == identity => {
                let _ = f.file.sha256.set(sha256.to_owned());
                true
            }
            _ => false,
        }
    }

    /// Font indices tried for `role`, in order: the role's own faces, the body
    /// faces (a title font may lack a character the body font has), the fallback.
    pub(crate) fn chain(&self, role: FontRole) -> Vec<usize> {
        let own: &[usize] = match role {
            FontRole::Body => &[],
            FontRole::Title => &self.title,
            FontRole::Heading => &self.heading,
        };
        let mut v: Vec<usize> = Vec::new();
        for &i in own.iter().chain(&self.body).chain(&self.fallback) {
            if !v.contains(&i) {
                v.push(i);
            }
        }
        v
    }

    /// Every character of `text` must have a glyph in the role's chain; the
    /// first that does not is reported with the field it came from.
    pub fn check_text(&self, role: FontRole, field: &str, text: &str) -> Result<(), PdfError> {
        let chain = self.chain(role);
        let faces: Vec<ttf_parser::Face<'_>> = chain
            .iter()
            .filter_map(|&i| self.fonts.get(i).and_then(|f| f.face()))
            .collect();
        for ch in text.chars() {
            if is_layout_control(ch) {
                continue;
            }
            if !faces.iter().any(|f| f.glyph_index(ch).is_some()) {
                return Err(PdfError::MissingGlyph {
                    field: field.to_string(),
                    ch,
                    codepoint: ch as u32,
                });
            }
        }
        Ok(())
    }

    /// (file name, SHA-256 hex) of every distinct font file, for the notice
    /// record. A hash not given by [`FontSet::remember_hash`] is computed
    /// here, once per file (≈ 0.1 s per 30 MB).
    pub fn font_hashes(&self) -> Result<Vec<(String, String)>, PdfError> {
        let mut seen = BTreeSet::new();
        let mut v = Vec::new();
        for f in &self.fonts {
            if seen.insert(f.spec.path.clone()) {
                v.push((f.file_name.clone(), f.sha256()?.to_owned()));
            }
        }
        Ok(v)
    }

    /// The faces of each role's chain (for diagnostics and the notice record).
    pub fn describe(&self, role: FontRole) -> Vec<FontSpec> {
        self.chain(role)
            .into_iter()
            .filter_map(|i| self.fonts.get(i).map(|f| f.spec.clone()))
            .collect()
    }
}

/// Characters the layout consumes itself and never draws.
pub(crate) fn is_layout_control(ch: char) -> bool {
    matches!(ch, '\n' | '\r' | '\t')
}

fn load_face(spec: &FontSpec, file: Arc<MappedFile>) -> Result<LoadedFont, PdfError> {
    let parse_err = || PdfError::FontParse {
        path: spec.path.clone(),
        face_index: spec.face_index,
    };
    let face = crate::sfnt::metrics_face(&file.map, spec.face_index).ok_or_else(parse_err)?;
    let units_per_em = f32::from(face.units_per_em());
    let space_gid = face.glyph_index(' ').map(|g| g.0).unwrap_or(0);
    let file_name = spec
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(LoadedFont {
        spec: spec.clone(),
        file_name,
        file,
        units_per_em,
        space_gid,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fontconfig_fingerprint_follows_font_directories_and_configuration() {
        let root = std::env::temp_dir().join(format!("yc-fontprint-{}", std::process::id()));
        let fonts = root.join("fonts");
        let conf = root.join("conf.d");
        std::fs::create_dir_all(fonts.join("truetype")).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(conf.join("10-a.conf"), "<fontconfig/>").unwrap();
        let fp = || {
            fingerprint_of(
                std::slice::from_ref(&fonts),
                std::slice::from_ref(&conf),
                &[],
                "HOME=x",
            )
        };
        let first = fp();
        assert_eq!(fp(), first, "nothing changed");
        // A font installed in a subdirectory changes that directory.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(fonts.join("truetype").join("new.ttf"), b"x").unwrap();
        let second = fp();
        assert_ne!(second, first);
        // A configuration file edited in place.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(
            conf.join("10-a.conf"),
            "<fontconfig><dir>/x</dir></fontconfig>",
        )
        .unwrap();
        let third = fp();
        assert_ne!(third, second);
        // Another environment.
        assert_ne!(
            fingerprint_of(
                std::slice::from_ref(&fonts),
                std::slice::from_ref(&conf),
                &[],
                "HOME=y"
            ),
            third
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    use super::*;

    fn list() -> Vec<(String, FontSpec)> {
        vec![
            (
                "Noto Serif CJK JP,Noto Serif CJK JP Bold\tBold,Regular".into(),
                FontSpec::new("/a.ttc", 0),
            ),
            (
                "Noto Serif CJK SC,Noto Serif CJK SC Bold\tBold,Regular".into(),
                FontSpec::new("/a.ttc", 2),
            ),
            ("FangSong,仿宋\tRegular".into(), FontSpec::new("/f.ttf", 0)),
        ]
    }

    #[test]
    fn fontconfig_lookup_matches_exact_family_and_style() {
        let l = list();
        assert_eq!(
            fontconfig_lookup(&l, "Noto Serif CJK SC:style=Bold"),
            Some(FontSpec::new("/a.ttc", 2))
        );
        assert_eq!(
            fontconfig_lookup(&l, "仿宋"),
            Some(FontSpec::new("/f.ttf", 0))
        );
        assert_eq!(fontconfig_lookup(&l, "FangSong_GB2312"), None);
    }

    #[test]
    fn font_folders_named_in_the_configuration_are_found() {
        let conf = r#"<fontconfig>
            <dir>/usr/share/fonts</dir>
            <dir prefix="xdg">fonts</dir>
            <dir>~/.fonts</dir>
            <dir> /opt/county-fonts </dir>
            <dir>relative</dir>
            <dirname/>
            <cachedir>/var/cache/fontconfig</cachedir>
        </fontconfig>"#;
        let dirs = dirs_named_in(
            conf,
            Path::new("/etc/fonts"),
            Some(Path::new("/home/clerk")),
            Some(Path::new("/home/clerk/.local/share")),
        );
        assert_eq!(
            dirs,
            [
                PathBuf::from("/usr/share/fonts"),
                "/home/clerk/.local/share/fonts".into(),
                "/home/clerk/.fonts".into(),
                "/opt/county-fonts".into(),
                "/etc/fonts/relative".into(),
            ]
        );
    }

    #[test]
    fn the_font_picker_offers_the_faces_whose_languages_name_chinese() {
        let listing = FontListing::from_text(
            [
                "Noto Serif CJK SC\tRegular\t2\tja|ko|zh-cn|zh-tw\t/a.ttc",
                "DejaVu Sans\tBook\t0\taa|en|ru\t/d.ttf",
                "Zh Only\tRegular\t0\tzh\t/z.ttf",
                "Zhuang Font\tRegular\t0\tza|zu\t/za.ttf",
                "a line of an older format\t/x.ttf",
            ]
            .join("\n"),
        );
        let got: Vec<(String, FontSpec)> = installed_cjk_fonts(&listing)
            .into_iter()
            .map(|f| (f.family, f.spec))
            .collect();
        assert_eq!(
            got,
            [
                ("Noto Serif CJK SC".to_owned(), FontSpec::new("/a.ttc", 2)),
                ("Zh Only".to_owned(), FontSpec::new("/z.ttf", 0)),
            ]
        );
        // The same listing resolves family names, whatever the languages.
        assert_eq!(listing.entries().len(), 4);
    }

    #[test]
    fn windows_paths_expand_windir() {
        let p = expand_windir(r"%WINDIR%\Fonts\simfang.ttf");
        assert!(
            p.to_string_lossy().ends_with(r"\Fonts\simfang.ttf"),
            "{p:?}"
        );
        assert!(!p.to_string_lossy().contains('%'));
        assert_eq!(expand_windir("/usr/x.ttf"), PathBuf::from("/usr/x.ttf"));
    }

    #[test]
    fn overrides_with_missing_file_fail_by_path() {
        let o = FontOverrides {
            body: vec![FontSpec::new("/nonexistent/x.ttf", 0)],
            ..Default::default()
        };
        match FontConfig::discover(&o) {
            Err(PdfError::FontNotFound { path }) => {
                assert_eq!(path, PathBuf::from("/nonexistent/x.ttf"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
