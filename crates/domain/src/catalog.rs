//! The service catalog (事项清单): versioned, validated in full before it may
//! become active. Parsing and checking only; storage lives in `station.rs`.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::calendar::{DayUnit, MAX_WORKING_DAYS};
use crate::error::{Error, Result};
use crate::evaluation::Scale;

pub const BUNDLED_CATALOG: &str = include_str!("../../../assets/catalog/catalog.json");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub version: String,
    pub published: String,
    pub items: Vec<ServiceItem>,
    /// The periods of each remedy route and where they come from. A catalog
    /// published from now on must carry the terms of every route its items
    /// use (checked on import: [`Catalog::parse_new`]); versions stored
    /// before had none and print with the active catalog's terms.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub remedies: BTreeMap<RemedyRoute, RemedyTerms>,
    /// Bodies other than the station's own office that decide items (a
    /// labour-arbitration commission, a city-level committee …), each with
    /// its own name, review body, court and number series.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bodies: BTreeMap<String, Body>,
    /// The 好差评 scale the county publishes (levels, which are good, which
    /// need reasons); none: the three-level scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_scale: Option<Scale>,
}

/// A deciding body with its own name and number series. `{county}` in a
/// name or prefix is the station's county, `{station}` the station's name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub name: String,
    /// county | city | commission: where it sits.
    pub level: String,
    /// 复议机关 of its decisions: the 本级人民政府 of its level (行政复议法
    /// §24); none for a commission, whose refusals go to court.
    #[serde(default)]
    pub review_body: Option<String>,
    pub court: String,
    /// Its document-number prefix per notice kind (`rejection_notice` …).
    pub series: BTreeMap<String, String>,
    /// Numbers read "第N号" (true) or "N号".
    #[serde(default = "yes")]
    pub number_word: bool,
    /// Its refusals note the approving leader (the station's 否定备案).
    #[serde(default)]
    pub approval_note: bool,
    /// The county's stations accept applications in its name (委托受理 in
    /// 一窗受理). Otherwise a station that is not one of its windows (the
    /// setting `station.acts_for`) only receives: a 收件回执 and forwarding.
    #[serde(default)]
    pub stations_accept: bool,
}

/// How a station handles an item: it decides, or it receives for the body
/// that does and forwards the case (never deciding in that body's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Handling {
    Decides,
    ReceivesFor { body: String, body_name: String },
}

impl Handling {
    pub fn receives_only(&self) -> bool {
        matches!(self, Handling::ReceivesFor { .. })
    }
}

/// What the law makes of an acceptance review that ends with no decision
/// and no one-time notice.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LapseConsequence {
    /// 行政许可法 §32(4): accepted as of the day the materials were received.
    DeemedAccepted,
    /// 劳动争议调解仲裁法 §29: the applicant may sue in court.
    ApplicantMaySue,
}

impl LapseConsequence {
    pub fn as_str(self) -> &'static str {
        match self {
            LapseConsequence::DeemedAccepted => "deemed_accepted",
            LapseConsequence::ApplicantMaySue => "applicant_may_sue",
        }
    }

    pub fn parse(s: &str) -> Option<LapseConsequence> {
        [
            LapseConsequence::DeemedAccepted,
            LapseConsequence::ApplicantMaySue,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            LapseConsequence::DeemedAccepted => "逾期未告知补正，自收到申请材料之日起即为受理",
            LapseConsequence::ApplicantMaySue => {
                "逾期未作出受理决定，申请人可以就该争议事项向人民法院提起诉讼"
            }
        }
    }
}

/// The consequence of a lapsed acceptance review and its source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewLapse {
    pub consequence: LapseConsequence,
    pub basis: Vec<LegalBasis>,
}

/// A period the applicant is given to supply what a one-time notice lists,
/// where the item's rules set one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupplyPeriod {
    pub days: u32,
    pub unit: DayUnit,
    pub basis: Vec<LegalBasis>,
}

fn yes() -> bool {
    true
}

/// The periods a remedy sentence names, with their legal sources.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemedyTerms {
    /// Days to apply for 行政复议.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_days: Option<u32>,
    /// Months to sue (行政诉讼) without review first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lawsuit_months: Option<u32>,
    /// Days to sue after the review decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_review_days: Option<u32>,
    /// Days to sue (the labour-arbitration route).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lawsuit_days: Option<u32>,
    pub basis: Vec<LegalBasis>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceItem {
    pub code: String,
    pub name: String,
    /// 拼音首字母, for keyboard search at the counter.
    pub pinyin_initials: String,
    pub department: String,
    pub window: String,
    /// 行政许可 / 行政确认 / 公共服务 / 行政裁决 …
    pub category: String,
    pub legal_basis: Vec<LegalBasis>,
    /// 法定时限, in `statutory_unit`.
    pub statutory_days: u32,
    /// Working days or calendar days: every limit names its unit (required
    /// on import; versions stored before units existed counted working days).
    #[serde(default)]
    pub statutory_unit: DayUnit,
    /// Where the statutory limit comes from (a statute, or the county's
    /// published 办事指南 where no statute sets one). Required on import.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statutory_basis: Vec<LegalBasis>,
    /// 承诺时限, in `promised_unit`; 0 = 即办 (on the spot).
    pub promised_days: u32,
    #[serde(default)]
    pub promised_unit: DayUnit,
    /// The acceptance review after receipt: within it the applicant is told
    /// at once everything missing (行政许可法 §32: 5 working days; 工伤认定办法
    /// §8: 15日; 劳动人事争议仲裁办案规则 §29: 5日).
    #[serde(default = "default_acceptance_days")]
    pub acceptance_days: u32,
    #[serde(default)]
    pub acceptance_unit: DayUnit,
    /// The rule of that review (the one-time notice cites it); required on
    /// import, empty in versions stored before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptance_basis: Vec<LegalBasis>,
    /// What follows when that review lapses with no notice, where the law
    /// says (none: the review is only overdue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_lapse: Option<ReviewLapse>,
    /// The period to supply what a one-time notice lists, where the item's
    /// rules set one (none: the notice names no date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_within: Option<SupplyPeriod>,
    pub procedure: String,
    pub materials: Vec<Material>,
    /// How deferred (容缺) materials are supplied; required when any material is deferrable.
    #[serde(default)]
    pub supplement: Option<SupplementRule>,
    pub remedy: RemedyRoute,
    /// The body that decides the item, a key of the catalog's `bodies`;
    /// none: the station's own office (its settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decider: Option<String>,
    /// 告知承诺 terms of the item, when a material may be promised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<ItemPromise>,
    pub fee: String,
    pub contact_phone: String,
}

fn default_acceptance_days() -> u32 {
    5
}

/// A promise never exceeds the law. Across units a working-day promise is
/// checked as five working days per seven calendar days (holidays only make
/// it shorter in working days, so the check is on the safe side); due dates
/// are capped at the statutory one besides.
fn promise_within_law(it: &ServiceItem) -> bool {
    let (p, s) = (u64::from(it.promised_days), u64::from(it.statutory_days));
    match (it.promised_unit, it.statutory_unit) {
        (a, b) if a == b => p <= s,
        (DayUnit::WorkingDays, DayUnit::CalendarDays) => p * 7 <= s * 5,
        (DayUnit::CalendarDays, DayUnit::WorkingDays) => p <= s,
        _ => false,
    }
}

/// The fields of an item that name a period's unit: required in a catalog
/// being imported.
const UNIT_FIELDS: [&str; 3] = ["statutory_unit", "promised_unit", "acceptance_unit"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub law: String,
    pub article: String,
    #[serde(default)]
    pub item: String,
}

impl LegalBasis {
    pub fn cite(&self) -> String {
        format!("{}{}{}", self.law, self.article, self.item)
    }
}

/// Citations with consecutive articles of one law merged, as notices write
/// them: 《工伤保险条例》第十七条、第十八条.
pub fn cite_all(bases: &[LegalBasis]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last_law: Option<&str> = None;
    for b in bases {
        let part = format!("{}{}", b.article, b.item);
        match out.last_mut() {
            Some(prev) if last_law == Some(b.law.as_str()) => {
                prev.push('、');
                prev.push_str(&part);
            }
            _ => out.push(format!("{}{part}", b.law)),
        }
        last_law = Some(&b.law);
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub code: String,
    pub name: String,
    /// 原件 / 复印件 / 原件及复印件 / 电子件
    pub form: String,
    pub copies: u32,
    pub required: bool,
    /// 容缺: may be supplied after acceptance.
    #[serde(default)]
    pub deferrable: bool,
    /// 告知承诺: a written promise replaces the proof for good.
    #[serde(default)]
    pub promise_replaces_proof: bool,
    #[serde(default)]
    pub standard: String,
    /// The rules that let the office ask for this material. Required on
    /// import for a required material (an article may be empty for a
    /// normative document without articles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<LegalBasis>,
    /// For a proof a promise may replace (告知承诺): what the notice tells
    /// about it. Required on import when `promise_replaces_proof`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<ProofPromise>,
}

/// What the 证明事项告知承诺书 tells about one proof (国办发〔2020〕42号).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProofPromise {
    /// The provision that requires the proof (设定证明的依据).
    pub proof_basis: Vec<LegalBasis>,
    /// What the proof would show (证明内容).
    pub proof_content: String,
    /// How the promise is checked (核查方式) and with whom.
    pub check_how: String,
}

/// The item's terms of 告知承诺 (required when any material may be promised).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ItemPromise {
    /// The published list of proofs under 告知承诺 that names these.
    pub list_ref: String,
    /// When the office checks the promise (核查时间).
    pub check_when: String,
    /// The item's own liability for a false promise, a clause ending in "；".
    pub liability: String,
    /// Whether and how the signed promise is made public.
    pub disclosure: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupplementRule {
    /// Working days to supply deferred materials; never beyond `promised_days`.
    pub days: u32,
    pub how: String,
    pub consequence: String,
}

/// Which remedies a refusal notice names.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RemedyRoute {
    /// 行政复议 (60 days, 本级人民政府) or 行政诉讼 (6 months), at the
    /// applicant's choice (e.g. 工伤认定: 工伤保险条例 §55).
    ReviewOrLawsuit,
    /// 复议前置: review first, court only after the review decision.
    ReviewFirst,
    /// Labour arbitration commission: no review; the applicant may sue in
    /// court (劳动争议调解仲裁法 §29; no period is set).
    LabourArbitrationCourt,
}

pub const ALL_ROUTES: [RemedyRoute; 3] = [
    RemedyRoute::ReviewOrLawsuit,
    RemedyRoute::ReviewFirst,
    RemedyRoute::LabourArbitrationCourt,
];

impl RemedyRoute {
    pub fn as_str(self) -> &'static str {
        match self {
            RemedyRoute::ReviewOrLawsuit => "review_or_lawsuit",
            RemedyRoute::ReviewFirst => "review_first",
            RemedyRoute::LabourArbitrationCourt => "labour_arbitration_court",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RemedyRoute::ReviewOrLawsuit => "行政复议或行政诉讼",
            RemedyRoute::ReviewFirst => "复议前置",
            RemedyRoute::LabourArbitrationCourt => "向人民法院起诉（劳动争议）",
        }
    }

    /// The periods the route's sentence names.
    fn needs(self, t: &RemedyTerms) -> Vec<(&'static str, Option<u32>)> {
        match self {
            RemedyRoute::ReviewOrLawsuit => vec![
                ("review_days", t.review_days),
                ("lawsuit_months", t.lawsuit_months),
            ],
            RemedyRoute::ReviewFirst => vec![
                ("review_days", t.review_days),
                ("after_review_days", t.after_review_days),
            ],
            // 劳动争议调解仲裁法 §29 sets no period for suing after a refusal.
            RemedyRoute::LabourArbitrationCourt => Vec::new(),
        }
    }
}

/// A catalog that does not deserialise: the item and field at fault where
/// they can be found (a missing `remedy`, say), else the line and column.
fn locate_error(text: &str, file: &str, e: &serde_json::Error) -> Error {
    let whole = || Error::Catalog {
        file: file.into(),
        item: "-".into(),
        field: format!("line {} column {}", e.line(), e.column()),
        reason: e.to_string(),
    };
    let Ok(raw) = serde_json::from_str::<serde_json::Value>(text) else {
        return whole();
    };
    for (i, it) in raw["items"].as_array().into_iter().flatten().enumerate() {
        let Err(ie) = ServiceItem::deserialize(it) else {
            continue;
        };
        let msg = ie.to_string();
        // serde names the field between backticks: "missing field `remedy`".
        let field = msg.split('`').nth(1).unwrap_or("-").to_owned();
        let reason = if msg.starts_with("missing field") {
            format!("缺少字段 {field}")
        } else if msg.starts_with("unknown field") {
            format!("未知字段 {field}")
        } else {
            format!("字段值无效：{msg}")
        };
        return Error::Catalog {
            file: file.into(),
            item: it["code"]
                .as_str()
                .map_or_else(|| format!("items[{i}]"), str::to_owned),
            field,
            reason,
        };
    }
    whole()
}

const FORMS: [&str; 4] = ["原件", "复印件", "原件及复印件", "电子件"];

impl Catalog {
    /// Parses and validates a catalog document; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Catalog> {
        let cat: Catalog = serde_json::from_str(text).map_err(|e| locate_error(text, file, &e))?;
        cat.validate(file)?;
        Ok(cat)
    }

    /// Parses a catalog being imported or published: also every route its
    /// items use has its remedy terms.
    pub fn parse_new(text: &str, file: &str) -> Result<Catalog> {
        let cat = Catalog::parse(text, file)?;
        cat.check_remedies(file)?;
        for it in &cat.items {
            let err = |field: String, reason: &str| Error::Catalog {
                file: file.into(),
                item: it.code.clone(),
                field,
                reason: reason.into(),
            };
            for m in it.materials.iter().filter(|m| m.promise_replaces_proof) {
                let field = format!("materials.{}.promise", m.code);
                match &m.promise {
                    None => {
                        return Err(err(
                            field,
                            "可告知承诺的证明须写明设定依据、证明内容和核查方式",
                        ));
                    }
                    Some(p)
                        if p.proof_basis.is_empty()
                            || p.proof_content.trim().is_empty()
                            || p.check_how.trim().is_empty() =>
                    {
                        return Err(err(
                            field,
                            "可告知承诺的证明须写明设定依据、证明内容和核查方式",
                        ));
                    }
                    Some(_) => {}
                }
                match &it.promise {
                    Some(p)
                        if !p.list_ref.trim().is_empty()
                            && !p.check_when.trim().is_empty()
                            && !p.disclosure.trim().is_empty() => {}
                    _ => {
                        return Err(err(
                            "promise".into(),
                            "有可告知承诺的证明时，须写明告知承诺目录、核查时间、不实承诺责任和公开方式",
                        ));
                    }
                }
            }
            if it.statutory_basis.is_empty() {
                return Err(err(
                    "statutory_basis".into(),
                    "须写明法定时限的出处（法律法规，或无法定时限时本地公布的办事指南）",
                ));
            }
            for m in it.materials.iter().filter(|m| m.required) {
                if m.sources.is_empty() || m.sources.iter().any(|b| b.law.trim().is_empty()) {
                    return Err(err(
                        format!("materials.{}.sources", m.code),
                        "须写明要求提交该材料的依据",
                    ));
                }
            }
            if it.acceptance_basis.is_empty() {
                return Err(Error::Catalog {
                    file: file.into(),
                    item: it.code.clone(),
                    field: "acceptance_basis".into(),
                    reason: "须写明受理审查（一次性告知）的依据".into(),
                });
            }
        }
        // Serde defaults the unit for stored versions; a new catalog names it.
        let raw: serde_json::Value = serde_json::from_str(text)?;
        for (it, raw_item) in cat
            .items
            .iter()
            .zip(raw["items"].as_array().into_iter().flatten())
        {
            for field in UNIT_FIELDS {
                if raw_item.get(field).is_none() {
                    return Err(Error::Catalog {
                        file: file.into(),
                        item: it.code.clone(),
                        field: field.into(),
                        reason: "须写明时限单位：working_days（工作日）或 calendar_days（自然日）"
                            .into(),
                    });
                }
            }
        }
        Ok(cat)
    }

    fn check_remedies(&self, file: &str) -> Result<()> {
        for it in &self.items {
            let field = format!("remedies.{}", it.remedy.as_str());
            let err = |reason: String| Error::Catalog {
                file: file.into(),
                item: it.code.clone(),
                field: field.clone(),
                reason,
            };
            let terms = self
                .remedies
                .get(&it.remedy)
                .ok_or_else(|| err("缺少该事项救济途径的期限".into()))?;
            for (name, v) in it.remedy.needs(terms) {
                match v {
                    Some(1..) => {}
                    _ => return Err(err(format!("缺少期限 {name}"))),
                }
            }
            if terms.basis.is_empty() {
                return Err(err("缺少期限的法律依据".into()));
            }
        }
        Ok(())
    }

    pub fn item(&self, code: &str) -> Option<&ServiceItem> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Items whose name, code or pinyin initials contain `q` (case-insensitive).
    pub fn search(&self, q: &str) -> Vec<&ServiceItem> {
        let q = q.trim().to_uppercase();
        self.items
            .iter()
            .filter(|i| {
                q.is_empty()
                    || i.name.contains(&q)
                    || i.code.to_uppercase().contains(&q)
                    || i.pinyin_initials.to_uppercase().contains(&q)
            })
            .collect()
    }

    pub fn validate(&self, file: &str) -> Result<()> {
        let err = |item: &str, field: &str, reason: String| Error::Catalog {
            file: file.into(),
            item: item.into(),
            field: field.into(),
            reason,
        };
        if self.version.trim().is_empty() {
            return Err(err("-", "version", "版本号为空".into()));
        }
        if self.items.is_empty() {
            return Err(err("-", "items", "没有任何事项".into()));
        }
        if let Some(scale) = &self.evaluation_scale
            && let Err((field, reason)) = scale.check()
        {
            return Err(err("-", &format!("evaluation_scale.{field}"), reason));
        }
        let mut codes = HashSet::new();
        for (id, b) in &self.bodies {
            if b.name.trim().is_empty() || b.court.trim().is_empty() {
                return Err(err(
                    "-",
                    &format!("bodies.{id}"),
                    "决定机关须写明名称和人民法院".into(),
                ));
            }
            // Stations number offline: a series shared by every station that
            // accepts in the body's name would repeat numbers.
            if b.stations_accept
                && let Some((kind, _)) = b.series.iter().find(|(_, p)| !p.contains("{station}"))
            {
                return Err(err(
                    "-",
                    &format!("bodies.{id}.series.{kind}"),
                    "各站点代为受理的机关，其文号前缀须含 {station}，以免各站编号重复".into(),
                ));
            }
        }
        for it in self
            .items
            .iter()
            .filter_map(|it| it.decider.as_ref().map(|d| (it, d)))
        {
            if !self.bodies.contains_key(it.1) {
                return Err(err(
                    &it.0.code,
                    "decider",
                    format!("决定机关“{}”未在 bodies 中定义", it.1),
                ));
            }
        }
        for it in &self.items {
            let c = it.code.as_str();
            if let Some(l) = &it.review_lapse {
                if l.basis.is_empty() {
                    return Err(err(
                        c,
                        "review_lapse.basis",
                        "须写明逾期后果的法律依据".into(),
                    ));
                }
                // 视为受理 is 行政许可法's rule, for 行政许可 only.
                if l.consequence == LapseConsequence::DeemedAccepted && it.category != "行政许可"
                {
                    return Err(err(
                        c,
                        "review_lapse.consequence",
                        "“逾期视为受理”仅适用于行政许可事项（行政许可法第三十二条）".into(),
                    ));
                }
            }
            if let Some(p) = &it.supply_within {
                if p.days == 0 || p.days > MAX_WORKING_DAYS || p.basis.is_empty() {
                    return Err(err(c, "supply_within", "补正期限须为正数并写明依据".into()));
                }
            }
            if c.is_empty()
                || !c
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-')
            {
                return Err(err(
                    c,
                    "code",
                    "事项编码只能由大写字母、数字和“-”组成".into(),
                ));
            }
            if !codes.insert(c) {
                return Err(err(c, "code", "事项编码重复".into()));
            }
            for (field, v) in [
                ("name", &it.name),
                ("department", &it.department),
                ("window", &it.window),
                ("category", &it.category),
                ("procedure", &it.procedure),
                ("fee", &it.fee),
                ("contact_phone", &it.contact_phone),
            ] {
                if v.trim().is_empty() {
                    return Err(err(c, field, "不能为空".into()));
                }
            }
            if it.legal_basis.is_empty() {
                return Err(err(c, "legal_basis", "至少需要一条法律依据".into()));
            }
            if it
                .legal_basis
                .iter()
                .any(|b| b.law.trim().is_empty() || b.article.trim().is_empty())
            {
                return Err(err(c, "legal_basis", "法律依据须写明法规名称和条款".into()));
            }
            if it.statutory_days == 0 && it.promised_days > 0 || !promise_within_law(it) {
                return Err(err(
                    c,
                    "promised_days",
                    format!(
                        "承诺时限（{}{}）不能超过法定时限（{}{}）",
                        it.promised_days,
                        it.promised_unit.label_zh(),
                        it.statutory_days,
                        it.statutory_unit.label_zh()
                    ),
                ));
            }
            if it.statutory_days > MAX_WORKING_DAYS {
                return Err(err(c, "statutory_days", "法定时限过长".into()));
            }
            if it.materials.is_empty() {
                return Err(err(c, "materials", "至少需要一项申请材料".into()));
            }
            let mut mcodes = HashSet::new();
            for m in &it.materials {
                let f = format!("materials[{}]", m.code);
                if m.code.trim().is_empty() || !mcodes.insert(m.code.as_str()) {
                    return Err(err(c, &f, "材料编码为空或重复".into()));
                }
                if m.name.trim().is_empty() {
                    return Err(err(c, &f, "材料名称为空".into()));
                }
                if !FORMS.contains(&m.form.as_str()) {
                    return Err(err(
                        c,
                        &f,
                        format!("材料形式“{}”无效，应为 {}", m.form, FORMS.join("、")),
                    ));
                }
                if m.copies == 0 {
                    return Err(err(c, &f, "份数至少为1".into()));
                }
                if m.deferrable && !m.required {
                    return Err(err(c, &f, "非必需材料不需要标记为可容缺".into()));
                }
            }
            if !it.materials.iter().any(|m| m.required && !m.deferrable) {
                return Err(err(
                    c,
                    "materials",
                    "必须至少有一项不可容缺的必需材料（主件）".into(),
                ));
            }
            let any_deferrable = it.materials.iter().any(|m| m.deferrable);
            match (&it.supplement, any_deferrable) {
                (None, true) => {
                    return Err(err(
                        c,
                        "supplement",
                        "有可容缺材料时必须规定补齐办法".into(),
                    ));
                }
                (Some(s), _) => {
                    if s.days == 0 || s.days > it.promised_days.max(1) {
                        return Err(err(
                            c,
                            "supplement.days",
                            format!(
                                "补齐期限（{}个工作日）须在1个工作日与承诺时限（{}个工作日）之间",
                                s.days, it.promised_days
                            ),
                        ));
                    }
                    if s.how.trim().is_empty() || s.consequence.trim().is_empty() {
                        return Err(err(c, "supplement", "须写明补齐方式和未补齐的后果".into()));
                    }
                }
                (None, false) => {}
            }
        }
        Ok(())
    }
}

impl Catalog {
    /// The 好差评 scale in force with this catalog.
    pub fn evaluation_scale(&self) -> Scale {
        self.evaluation_scale
            .clone()
            .unwrap_or_else(Scale::three_level)
    }

    /// How a station that is a window of the bodies `acts_for` handles
    /// `item`: it decides items of its own office and of bodies that have
    /// stations accept in their name; it only receives the others.
    pub fn handling(&self, item: &ServiceItem, acts_for: &[String], county: &str) -> Handling {
        let Some(id) = &item.decider else {
            return Handling::Decides;
        };
        match self.bodies.get(id) {
            Some(b) if !b.stations_accept && !acts_for.iter().any(|a| a == id) => {
                Handling::ReceivesFor {
                    body: id.clone(),
                    body_name: b.name.replace("{county}", county),
                }
            }
            _ => Handling::Decides,
        }
    }

    /// The periods and sources of a remedy route.
    pub fn remedy_terms(&self, route: RemedyRoute) -> Result<&RemedyTerms> {
        self.remedies.get(&route).ok_or_else(|| Error::Catalog {
            file: self.version.clone(),
            item: "-".into(),
            field: format!("remedies.{}", route.as_str()),
            reason: "缺少该救济途径的期限".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_is_valid_and_has_the_ten_items() {
        let cat = Catalog::parse_new(BUNDLED_CATALOG, "catalog.json").unwrap();
        assert_eq!(cat.items.len(), 10);
        for name in [
            "失业保险金申领",
            "社会保障卡申领",
            "劳动人事争议仲裁申请",
            "工伤认定申请",
            "职业技能等级认定",
            "劳务派遣经营许可",
        ] {
            assert!(cat.items.iter().any(|i| i.name == name), "{name}");
        }
        assert_eq!(cat.search("shbzk").len(), 1);
        let gs = cat.item("RS-GS-001").unwrap();
        assert_eq!(
            cite_all(&gs.legal_basis),
            vec!["《工伤保险条例》第十七条、第十八条、第二十条"]
        );
        assert!(!cat.search("失业").is_empty());
    }

    fn broken(edit: impl Fn(&mut serde_json::Value)) -> Error {
        let mut v: serde_json::Value = serde_json::from_str(BUNDLED_CATALOG).unwrap();
        edit(&mut v);
        Catalog::parse(&v.to_string(), "bad.json").unwrap_err()
    }

    #[test]
    fn errors_name_file_item_and_field() {
        let e = broken(|v| v["items"][1]["promised_days"] = 999.into());
        let msg = e.to_string();
        assert!(
            msg.contains("bad.json") && msg.contains("promised_days"),
            "{msg}"
        );
        let e = broken(|v| v["items"][0]["materials"][0]["form"] = "传真".into());
        assert!(e.user_message().contains("传真"));
        let e = broken(|v| v["items"][2]["code"] = v["items"][0]["code"].clone());
        assert!(e.to_string().contains("code"));
        let e = broken(|v| v["items"][0]["legal_basis"] = serde_json::json!([]));
        assert!(e.to_string().contains("legal_basis"));
        let e = broken(|v| v["items"][0]["unknown_field"] = 1.into());
        assert!(e.to_string().contains("bad.json"));
    }

    #[test]
    fn deemed_acceptance_is_for_licences_only() {
        // 工伤认定 is a 行政确认: 行政许可法 §32's 视为受理 does not apply.
        let e = broken(|v| {
            v["items"][3]["review_lapse"] = serde_json::json!({"consequence": "deemed_accepted",
                "basis": [{"law": "《中华人民共和国行政许可法》", "article": "第三十二条"}]})
        });
        assert!(e.to_string().contains("review_lapse.consequence"), "{e}");
        let e = broken(|v| {
            v["items"][3]["supply_within"] =
                serde_json::json!({"days": 0, "unit": "working_days", "basis": []})
        });
        assert!(e.to_string().contains("supply_within"), "{e}");
    }

    #[test]
    fn who_decides_at_a_station() {
        let cat = Catalog::parse(BUNDLED_CATALOG, "catalog.json").unwrap();
        let at = |code: &str, acts: &[&str]| {
            let acts: Vec<String> = acts.iter().map(|s| s.to_string()).collect();
            cat.handling(cat.item(code).unwrap(), &acts, "示范县")
        };
        // The bureau's own items and the agency's (委托受理) are decided here.
        assert_eq!(at("RS-SB-001", &[]), Handling::Decides);
        assert_eq!(at("RS-SY-001", &[]), Handling::Decides);
        // The commission decides its own: a township station only receives.
        assert_eq!(
            at("RS-ZC-001", &[]),
            Handling::ReceivesFor {
                body: "labour_arbitration_commission".into(),
                body_name: "示范县劳动人事争议仲裁委员会".into()
            }
        );
        assert!(at("RS-LD-001", &[]).receives_only());
        // The county hall that hosts the commission's window decides for it.
        assert_eq!(
            at("RS-ZC-001", &["labour_arbitration_commission"]),
            Handling::Decides
        );
    }
}
