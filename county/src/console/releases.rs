//! 发布, without database or HTTP: the check a release file must pass
//! before it may be published (the stations' own apply checks, so a file
//! the county accepts is one every station accepts), and the difference
//! between a file and the newest published release of its kind. Shared by
//! the console and `yichuang-county publish`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use yichuang_domain::calendar::{DayOverride, parse_year, release_years};
use yichuang_domain::catalog::{Catalog, LegalBasis, Material, ServiceItem};
use yichuang_domain::template::TemplateSet;

/// The kinds a release may be, with their Chinese names.
pub const KINDS: [(&str, &str); 3] = [
    ("catalog", "事项清单"),
    ("templates", "文书模板"),
    ("calendar", "工作日历"),
];

/// A file bigger than this is refused before anything is parsed.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

pub fn kind_zh(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, z)| *z)
}

/// Why a file may not be published: English for logs, Chinese for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub en: String,
    pub zh: String,
}

impl Problem {
    fn new(en: impl Into<String>, zh: impl Into<String>) -> Problem {
        Problem {
            en: en.into(),
            zh: zh.into(),
        }
    }

    fn domain(e: &yichuang_domain::Error) -> Problem {
        Problem::new(e.to_string(), e.user_message())
    }
}

/// A release file, parsed as a station parses it.
#[derive(Debug, Clone)]
pub enum Content {
    Catalog(Box<Catalog>),
    Templates(Box<TemplateSet>),
    /// Each year with its listed dates.
    Calendar(BTreeMap<i32, HashMap<NaiveDate, DayOverride>>),
}

/// Parses `bytes` as a release of `kind` exactly as a station's release
/// apply does (crates/engine/src/ops/sync.rs `apply`), plus what the
/// station's store would refuse later: a catalog or template version
/// number the newest release (`newest`: parsed, and its bytes) or the
/// bundled file already used for other content.
pub fn check(
    kind: &str,
    bytes: &[u8],
    newest: Option<(&Content, &[u8])>,
) -> Result<Content, Problem> {
    check_file(kind, &format!("county release {kind}"), bytes, newest)
}

/// [`check`], the problem naming `file` (the uploaded file's name).
pub fn check_file(
    kind: &str,
    file: &str,
    bytes: &[u8],
    newest: Option<(&Content, &[u8])>,
) -> Result<Content, Problem> {
    let Some(kind_zh) = kind_zh(kind) else {
        return Err(Problem::new(
            format!("unknown release kind {kind}"),
            "发布类型无效，应为：事项清单、文书模板或工作日历",
        ));
    };
    if bytes.is_empty() {
        return Err(Problem::new("empty file", format!("{kind_zh}文件是空的")));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Problem::new(
            "file too big",
            format!("{kind_zh}文件超过 4 MiB，不能发布"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Problem::new(
            "not UTF-8",
            format!("{kind_zh}文件不是 UTF-8 编码的文本，不能发布"),
        )
    })?;
    let content = parse(kind, text, file).map_err(|e| Problem::domain(&e))?;
    // A station stores each catalog and template version once and refuses
    // the same version number with another text (crates/engine/src/engine.rs
    // `store_catalog`, `store_templates`): the newest release and the
    // version the program bundles are what stations may already hold.
    let version = |c: &Content| match c {
        Content::Catalog(c) => Some(c.version.clone()),
        Content::Templates(t) => Some(t.version.clone()),
        Content::Calendar(_) => None,
    };
    if let Some(v) = version(&content) {
        let bundled = match kind {
            "catalog" => yichuang_domain::catalog::BUNDLED_CATALOG,
            _ => yichuang_domain::template::BUNDLED_TEMPLATES,
        };
        let bundled = parse(kind, bundled, "bundled")
            .ok()
            .map(|c| (c, bundled.as_bytes()));
        let held = newest
            .map(|(c, b)| (version(c), b))
            .into_iter()
            .chain(bundled.iter().map(|(c, b)| (version(c), *b)));
        for (held_version, held_bytes) in held {
            if held_version.as_deref() == Some(v.as_str()) && held_bytes != bytes {
                return Err(Problem::new(
                    format!("{kind} version {v} already used for other content"),
                    format!(
                        "{kind_zh}版本号“{v}”已用于内容不同的{kind_zh}，各站点会拒收；请使用新的版本号"
                    ),
                ));
            }
        }
    }
    Ok(content)
}

/// The station's parse of each kind (no other checks).
pub fn parse(kind: &str, text: &str, file: &str) -> yichuang_domain::Result<Content> {
    Ok(match kind {
        "catalog" => Content::Catalog(Box::new(Catalog::parse_new(text, file)?)),
        "templates" => {
            let set = TemplateSet::parse(text)?;
            set.require_every_kind()?;
            Content::Templates(Box::new(set))
        }
        _ => {
            let mut years = BTreeMap::new();
            for (year, doc) in release_years(text)? {
                let (_, days) = parse_year(&doc)?;
                years.insert(year, days);
            }
            Content::Calendar(years)
        }
    })
}

/// What a station runs before the county publishes a kind: the file the
/// program bundles (the baseline a first release is compared with).
pub fn bundled(kind: &str) -> Option<Content> {
    match kind {
        "catalog" => parse(kind, yichuang_domain::catalog::BUNDLED_CATALOG, "bundled").ok(),
        "templates" => parse(
            kind,
            yichuang_domain::template::BUNDLED_TEMPLATES,
            "bundled",
        )
        .ok(),
        "calendar" => {
            let mut years = BTreeMap::new();
            for (_, text) in yichuang_domain::calendar::BUNDLED_YEARS {
                let (year, days) = parse_year(text).ok()?;
                years.insert(year, days);
            }
            Some(Content::Calendar(years))
        }
        _ => None,
    }
}

/// One line of a difference table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// 事项编码, the template's kind, the year…
    pub key: String,
    pub name: String,
    /// What changed, in Chinese (one clause per change, `；`-separated).
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub added: Vec<Line>,
    pub removed: Vec<Line>,
    pub changed: Vec<Line>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What `new` changes against `old` (none published: everything is added).
pub fn diff(new: &Content, old: Option<&Content>) -> Diff {
    match (new, old) {
        (Content::Catalog(n), Some(Content::Catalog(o))) => catalog_diff(n, Some(o)),
        (Content::Catalog(n), _) => catalog_diff(n, None),
        (Content::Templates(n), Some(Content::Templates(o))) => templates_diff(n, Some(o)),
        (Content::Templates(n), _) => templates_diff(n, None),
        (Content::Calendar(n), Some(Content::Calendar(o))) => calendar_diff(n, Some(o)),
        (Content::Calendar(n), _) => calendar_diff(n, None),
    }
}

fn line(key: &str, name: &str, detail: impl Into<String>) -> Line {
    Line {
        key: key.to_owned(),
        name: name.to_owned(),
        detail: detail.into(),
    }
}

fn cites(b: &[LegalBasis]) -> String {
    b.iter()
        .map(LegalBasis::cite)
        .collect::<Vec<_>>()
        .join("，")
}

fn catalog_diff(new: &Catalog, old: Option<&Catalog>) -> Diff {
    let mut d = Diff::default();
    let Some(old) = old else {
        for it in &new.items {
            d.added.push(line(&it.code, &it.name, item_summary(it)));
        }
        return d;
    };
    if new.version != old.version {
        d.changed.push(line(
            "版本",
            "事项清单",
            format!("版本：{} → {}", old.version, new.version),
        ));
    }
    let before: BTreeMap<&str, &ServiceItem> =
        old.items.iter().map(|i| (i.code.as_str(), i)).collect();
    let after: BTreeMap<&str, &ServiceItem> =
        new.items.iter().map(|i| (i.code.as_str(), i)).collect();
    for (code, it) in &after {
        match before.get(code) {
            None => d.added.push(line(code, &it.name, item_summary(it))),
            Some(was) if was != it => {
                let detail = item_changes(was, it);
                d.changed.push(line(
                    code,
                    &it.name,
                    if detail.is_empty() {
                        "其他字段有变化".to_owned()
                    } else {
                        detail
                    },
                ));
            }
            Some(_) => {}
        }
    }
    for (code, it) in &before {
        if !after.contains_key(code) {
            d.removed.push(line(code, &it.name, item_summary(it)));
        }
    }
    if new.remedies != old.remedies {
        d.changed
            .push(line("救济途径", "救济期限", "救济途径的期限或依据有变化"));
    }
    if new.bodies != old.bodies {
        d.changed.push(line("机关", "行政机关", "机关信息有变化"));
    }
    d
}

fn item_summary(it: &ServiceItem) -> String {
    format!(
        "承诺时限 {}{}，法定时限 {}{}，材料 {} 项",
        it.promised_days,
        it.promised_unit.label_zh(),
        it.statutory_days,
        it.statutory_unit.label_zh(),
        it.materials.len()
    )
}

fn material_flags(m: &Material) -> String {
    let mut f = vec![if m.required { "必交" } else { "非必交" }];
    if m.deferrable {
        f.push("可容缺");
    }
    if m.promise_replaces_proof {
        f.push("告知承诺");
    }
    format!(
        "{}（{}，{} 份，{}）",
        m.name,
        m.form,
        m.copies,
        f.join("、")
    )
}

fn item_changes(was: &ServiceItem, it: &ServiceItem) -> String {
    let mut out = Vec::new();
    if was.name != it.name {
        out.push(format!("名称：{} → {}", was.name, it.name));
    }
    let limit = |d: u32, u: yichuang_domain::calendar::DayUnit| format!("{d}{}", u.label_zh());
    for (label, a, b) in [
        (
            "承诺时限",
            limit(was.promised_days, was.promised_unit),
            limit(it.promised_days, it.promised_unit),
        ),
        (
            "法定时限",
            limit(was.statutory_days, was.statutory_unit),
            limit(it.statutory_days, it.statutory_unit),
        ),
        (
            "受理审查时限",
            limit(was.acceptance_days, was.acceptance_unit),
            limit(it.acceptance_days, it.acceptance_unit),
        ),
    ] {
        if a != b {
            out.push(format!("{label}：{a} → {b}"));
        }
    }
    if was.legal_basis != it.legal_basis {
        out.push(format!(
            "设定依据：{} → {}",
            cites(&was.legal_basis),
            cites(&it.legal_basis)
        ));
    }
    if was.statutory_basis != it.statutory_basis {
        out.push("法定时限依据有变化".to_owned());
    }
    if was.supplement != it.supplement {
        out.push("容缺补正规则有变化".to_owned());
    }
    let before: BTreeMap<&str, &Material> =
        was.materials.iter().map(|m| (m.code.as_str(), m)).collect();
    let after: BTreeMap<&str, &Material> =
        it.materials.iter().map(|m| (m.code.as_str(), m)).collect();
    for (code, m) in &after {
        match before.get(code) {
            None => out.push(format!("新增材料：{}", material_flags(m))),
            Some(w) if w != m => {
                if w.deferrable != m.deferrable {
                    out.push(format!(
                        "材料“{}”容缺：{} → {}",
                        m.name,
                        yes_no(w.deferrable),
                        yes_no(m.deferrable)
                    ));
                }
                let (mut w2, mut m2) = ((*w).clone(), (*m).clone());
                w2.deferrable = false;
                m2.deferrable = false;
                if w2 != m2 {
                    out.push(format!(
                        "材料变更：{} → {}",
                        material_flags(w),
                        material_flags(m)
                    ));
                }
            }
            Some(_) => {}
        }
    }
    for (code, m) in &before {
        if !after.contains_key(code) {
            out.push(format!("删除材料：{}", m.name));
        }
    }
    for (label, changed) in [
        ("办理流程", was.procedure != it.procedure),
        ("收费", was.fee != it.fee),
        ("咨询电话", was.contact_phone != it.contact_phone),
        ("部门", was.department != it.department),
        ("窗口", was.window != it.window),
        ("救济途径", was.remedy != it.remedy),
        ("审查逾期后果", was.review_lapse != it.review_lapse),
        ("补正期限", was.supply_within != it.supply_within),
        ("告知承诺", was.promise != it.promise),
    ] {
        if changed {
            out.push(format!("{label}有变化"));
        }
    }
    out.join("；")
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn templates_diff(new: &TemplateSet, old: Option<&TemplateSet>) -> Diff {
    let mut d = Diff::default();
    let Some(old) = old else {
        for (k, t) in &new.templates {
            d.added
                .push(line(k, &t.title, format!("{} 段", t.blocks.len())));
        }
        return d;
    };
    if new.version != old.version {
        d.changed.push(line(
            "版本",
            "文书模板",
            format!("版本：{} → {}", old.version, new.version),
        ));
    }
    for (k, t) in &new.templates {
        match old.templates.get(k) {
            None => d
                .added
                .push(line(k, &t.title, format!("{} 段", t.blocks.len()))),
            Some(w) => {
                let mut what = Vec::new();
                if w.title != t.title {
                    what.push(format!("标题：{} → {}", w.title, t.title));
                }
                if format!("{:?}", w.blocks) != format!("{:?}", t.blocks) {
                    what.push(format!(
                        "正文：{} 段 → {} 段",
                        w.blocks.len(),
                        t.blocks.len()
                    ));
                }
                if !what.is_empty() {
                    d.changed.push(line(k, &t.title, what.join("；")));
                }
            }
        }
    }
    for (k, t) in &old.templates {
        if !new.templates.contains_key(k) {
            d.removed.push(line(k, &t.title, ""));
        }
    }
    let sentences = |s: &TemplateSet| -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = s
            .sentences
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (r, v) in &s.remedies {
            m.insert(format!("remedy.{}", serde_key(r)), v.clone());
        }
        m
    };
    let (a, b) = (sentences(old), sentences(new));
    for (k, v) in &b {
        match a.get(k) {
            None => d.added.push(line(k, "固定语句", v.as_str())),
            Some(w) if w != v => d.changed.push(line(k, "固定语句", format!("{w} → {v}"))),
            Some(_) => {}
        }
    }
    for (k, v) in &a {
        if !b.contains_key(k) {
            d.removed.push(line(k, "固定语句", v.as_str()));
        }
    }
    d
}

fn serde_key<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn day_text(date: &NaiveDate, o: &DayOverride) -> String {
    match o {
        DayOverride::Holiday(n) => format!("{date} {n}放假"),
        DayOverride::MakeUpWorkday(n) => format!("{date} {n}调休上班"),
    }
}

fn year_text(days: &HashMap<NaiveDate, DayOverride>) -> String {
    let sorted: BTreeMap<&NaiveDate, &DayOverride> = days.iter().collect();
    sorted
        .into_iter()
        .map(|(d, o)| day_text(d, o))
        .collect::<Vec<_>>()
        .join("；")
}

fn calendar_diff(
    new: &BTreeMap<i32, HashMap<NaiveDate, DayOverride>>,
    old: Option<&BTreeMap<i32, HashMap<NaiveDate, DayOverride>>>,
) -> Diff {
    let mut d = Diff::default();
    let empty = BTreeMap::new();
    let old = old.unwrap_or(&empty);
    for (year, days) in new {
        let key = year.to_string();
        let name = format!("{year} 年");
        match old.get(year) {
            None => d.added.push(line(&key, &name, year_text(days))),
            Some(was) if was != days => {
                let dates: BTreeSet<&NaiveDate> = was.keys().chain(days.keys()).collect();
                let mut what = Vec::new();
                for date in dates {
                    match (was.get(date), days.get(date)) {
                        (None, Some(n)) => what.push(format!("新增 {}", day_text(date, n))),
                        (Some(w), None) => what.push(format!("删除 {}", day_text(date, w))),
                        (Some(w), Some(n)) if w != n => {
                            what.push(format!("{} → {}", day_text(date, w), day_text(date, n)))
                        }
                        _ => {}
                    }
                }
                d.changed.push(line(&key, &name, what.join("；")));
            }
            Some(_) => {}
        }
    }
    // A release lists the years it carries; a year it leaves out stays as
    // the stations have it (they store per year), so it is not "removed".
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = yichuang_domain::catalog::BUNDLED_CATALOG;
    const TEMPLATES: &str = yichuang_domain::template::BUNDLED_TEMPLATES;

    fn edited(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(CATALOG).unwrap();
        f(&mut v);
        v.to_string()
    }

    #[test]
    fn the_bundled_files_pass_and_broken_ones_are_named_in_chinese() {
        assert!(check("catalog", CATALOG.as_bytes(), None).is_ok());
        assert!(check("templates", TEMPLATES.as_bytes(), None).is_ok());
        let year = r#"{"year":2030,"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}"#;
        assert!(check("calendar", year.as_bytes(), None).is_ok());

        let e = check("catalog", b"{\"version\":", None).unwrap_err();
        assert!(e.zh.contains("事项清单"), "{e:?}");
        let no_name = edited(|v| v["items"][0]["name"] = "".into());
        let e = check("catalog", no_name.as_bytes(), None).unwrap_err();
        assert!(e.zh.contains("RS-SY-001"), "{e:?}");
        let e = check("templates", b"{}", None).unwrap_err();
        assert!(e.zh.contains("文书模板"), "{e:?}");
        let e = check(
            "calendar",
            br#"{"year":2030,"days":[{"name":"x","date":"2031-05-01","isOffDay":true}]}"#,
            None,
        )
        .unwrap_err();
        assert!(e.zh.contains("工作日历"), "{e:?}");
        assert!(
            check("menu", CATALOG.as_bytes(), None)
                .unwrap_err()
                .zh
                .contains("发布类型")
        );
        assert!(
            check("catalog", &[0xff, 0xfe], None)
                .unwrap_err()
                .zh
                .contains("UTF-8")
        );
        assert!(check("catalog", b"", None).unwrap_err().zh.contains("空"));
        let big = vec![b' '; MAX_BYTES + 1];
        assert!(
            check("catalog", &big, None)
                .unwrap_err()
                .zh
                .contains("4 MiB")
        );
    }

    #[test]
    fn a_version_already_published_with_other_content_is_refused() {
        let same_version = edited(|v| v["items"][0]["promised_days"] = 3.into());
        let e = check("catalog", same_version.as_bytes(), None).unwrap_err();
        assert!(e.zh.contains("版本号“2026.1.2”"), "{e:?}");
        assert!(check("catalog", CATALOG.as_bytes(), None).is_ok());
        let v2 = edited(|v| v["version"] = "v2".into());
        let old = check("catalog", v2.as_bytes(), None).unwrap();
        let v2b = edited(|v| {
            v["version"] = "v2".into();
            v["items"][0]["promised_days"] = 3.into();
        });
        let held = Some((&old, v2.as_bytes()));
        assert!(check("catalog", v2b.as_bytes(), held).is_err());
        assert!(check("catalog", v2.as_bytes(), held).is_ok());
    }

    #[test]
    fn the_catalog_diff_names_what_changed() {
        let old = check("catalog", CATALOG.as_bytes(), None).unwrap();
        let new = edited(|v| {
            v["version"] = "2026.2.0".into();
            v["items"][0]["name"] = "失业保险金申领（新）".into();
            v["items"][0]["promised_days"] = 3.into();
            let mats = v["items"][0]["materials"].as_array_mut().unwrap();
            let mut extra = mats[0].clone();
            extra["code"] = "M-NEW".into();
            extra["name"] = "补充说明".into();
            mats.push(extra);
            let items = v["items"].as_array_mut().unwrap();
            items.pop();
        });
        let new = check("catalog", new.as_bytes(), None).unwrap();
        let d = diff(&new, Some(&old));
        assert!(d.added.is_empty());
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.changed[0].detail, "版本：2026.1.2 → 2026.2.0");
        let item = &d.changed[1];
        assert_eq!(item.key, "RS-SY-001");
        assert!(
            item.detail
                .contains("名称：失业保险金申领 → 失业保险金申领（新）"),
            "{item:?}"
        );
        assert!(
            item.detail.contains("承诺时限：5个工作日 → 3个工作日"),
            "{item:?}"
        );
        assert!(item.detail.contains("新增材料：补充说明"), "{item:?}");
        assert_eq!(d.changed.len(), 2);
        // Nothing published yet: every item is new.
        assert_eq!(diff(&new, None).added.len(), 9);
        assert!(diff(&old, Some(&old)).is_empty());
        // Against what the stations bundle: only the version and the item.
        let d = diff(&new, bundled("catalog").as_ref());
        assert_eq!((d.added.len(), d.removed.len(), d.changed.len()), (0, 1, 2));
        assert!(bundled("templates").is_some() && bundled("calendar").is_some());
    }

    #[test]
    fn the_calendar_diff_lists_years_and_dates() {
        let a = r#"{"year":2030,"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}"#;
        let b = r#"{"years":[{"year":2030,"days":[{"name":"元旦","date":"2030-01-02","isOffDay":true}]},{"year":2031,"days":[{"name":"春节","date":"2031-01-23","isOffDay":true}]}]}"#;
        let old = check("calendar", a.as_bytes(), None).unwrap();
        let new = check("calendar", b.as_bytes(), None).unwrap();
        let d = diff(&new, Some(&old));
        assert_eq!(
            d.added,
            vec![line("2031", "2031 年", "2031-01-23 春节放假")]
        );
        assert_eq!(
            d.changed[0].detail,
            "删除 2030-01-01 元旦放假；新增 2030-01-02 元旦放假"
        );
    }

    #[test]
    fn the_templates_diff_names_the_changed_kind() {
        let old = check("templates", TEMPLATES.as_bytes(), None).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(TEMPLATES).unwrap();
        v["version"] = "t-new".into();
        let first = v["templates"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        v["templates"][&first]["title"] = "新标题".into();
        let new = check("templates", v.to_string().as_bytes(), None).unwrap();
        let d = diff(&new, Some(&old));
        assert_eq!(d.changed.len(), 2, "{d:?}");
        assert_eq!(d.changed[1].key, first);
        assert!(d.changed[1].detail.contains("新标题"));
    }
}
