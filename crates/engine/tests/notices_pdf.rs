//! The notices the applicant takes home, as real PDFs: every legal element
//! present in the extracted text, fonts embedded and subset, structurally
//! valid, byte-identical on re-render, rare characters printed or refused.

use std::path::Path;
use std::process::Command;

use yichuang_engine::case::MaterialStatus;
use yichuang_engine::{ApplicantInput, NoticeKind, PersonIdType};
use yichuang_testkit::*;

const M: MaterialStatus = MaterialStatus::Missing;
const NA: MaterialStatus = MaterialStatus::NotApplicable;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for this test (scripts/install-deps.sh --test): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the PDF, checks it with qpdf and pdffonts, returns its text with
/// all whitespace removed (pdftotext breaks lines where the layout does).
fn check_pdf(dir: &Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let p = path.to_str().unwrap();
    tool("qpdf", &["--check", p]);
    let fonts = tool("pdffonts", &[p]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts in {name}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type ... emb sub uni object ID
        let n = cols.len();
        assert_eq!(cols[n - 5], "yes", "font not embedded: {row}");
        assert_eq!(cols[n - 4], "yes", "font not subset: {row}");
        assert!(
            cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+',
            "subset tag: {row}"
        );
    }
    assert!(pdf.len() < 400_000, "{name}: {} bytes", pdf.len());
    tool("pdftotext", &["-enc", "UTF-8", p, "-"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn has(text: &str, needles: &[&str]) {
    for n in needles {
        let n: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&n), "missing {n:?} in:\n{text}");
    }
}

#[test]
fn one_time_notice_lists_every_material_and_the_handler() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-GS-001", 1, &[("M2", M), ("M3", M)]),
        )
        .unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    let text = check_pdf(dir.path(), "one-time", &pdf);
    assert!(
        !text.contains("第三十二条"),
        "行政许可法 §32 cited for a 工伤认定"
    );
    has(
        &text,
        &[
            "一次性告知单",
            &n.doc_no,
            &c.applicant_name,
            "工伤认定申请",
            "2026年11月23日",
            "工伤认定申请表",
            "与用人单位存在劳动关系",
            "医疗诊断证明",
            "受伤职工居民身份证",
            "用人单位营业执照",
            "已收",
            "缺",
            "《工伤保险条例》第十七条、第十八条",
            // The rule of this item's acceptance review, not 行政许可法 §32
            // (工伤认定 is not a 行政许可).
            "《工伤认定办法》第八条",
            "需补正的材料及其要求",
            "受理机关：示范县人力资源和社会保障局",
            "张窗口",
            "2001",
            "0000-12333",
            "示范县人力资源和社会保障局",
            &c.case_no,
            "申请人（签名）",
        ],
    );
    assert_eq!(
        n.pdf_sha256.as_deref(),
        Some(yichuang_wire::sha256_hex(&pdf).as_str())
    );
}

#[test]
fn commitment_notice_and_pledge_are_two_pages_of_one_print() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 2, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
        .unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::CommitmentNotice)
            .unwrap();
    let text = check_pdf(dir.path(), "commitment", &pdf);
    has(
        &text,
        &[
            "容缺受理承诺告知书",
            &n.doc_no,
            "社会保障卡申领",
            "近期免冠电子照片",
            "2026年11月30日",
            "到任一社保卡服务网点",
            "逾期未补齐的，制卡申请作废",
            "承诺不实",
            // The card's own rules (社会保险法 §58(3) is the number, not the card).
            "《“中华人民共和国社会保障卡”管理办法》第二条",
            "承诺书",
            "承诺人（签名或盖章）",
        ],
    );
    let info = tool(
        "pdfinfo",
        &[dir.path().join("commitment.pdf").to_str().unwrap()],
    );
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.trim_end().ends_with('2')),
        "{info}"
    );
}

#[test]
fn rejection_notices_carry_reasons_basis_approver_and_the_right_remedy() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    // An ordinary item: review (本级人民政府, 60 days) or lawsuit (6 months).
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-YL-001", 3, &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "申请人的养老保险关系不在本统筹区，不属于本机关职权范围，请向参保地社会保险经办机构申请。",
        "《中华人民共和国行政许可法》第三十二条第一款第二项",
    )
    .unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
            .unwrap();
    let text = check_pdf(dir.path(), "rejection", &pdf);
    has(
        &text,
        &[
            "不予受理通知书",
            &n.doc_no,
            "养老保险关系转移接续",
            "不属于本机关职权范围",
            "第三十二条第一款第二项",
            "决定不予受理",
            "六十日内",
            "示范县人民政府",
            "申请行政复议",
            "六个月内",
            "示范县人民法院",
            "提起行政诉讼",
            "王示范",
            "一式两份",
            "送达回执",
        ],
    );
    // Labour arbitration, at the commission's own window: no 复议; the
    // court, with no period (劳动争议调解仲裁法 §29).
    acts_for(&s, "labour_arbitration_commission");
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-ZC-001", 4, &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "申请人与本案没有直接利害关系，且没有明确的被申请人",
        "《劳动人事争议仲裁办案规则》第三十条第（三）项、第三十一条",
    )
    .unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
            .unwrap();
    let text = check_pdf(dir.path(), "rejection-arbitration", &pdf);
    has(&text, &["就该劳动争议事项依法向示范县人民法院提起诉讼"]);
    assert!(
        !text.contains("行政复议"),
        "arbitration refusals carry no review remedy"
    );
    assert!(
        !text.contains("十五日内"),
        "no period is set for suing after a refusal to accept"
    );
}

#[test]
fn acceptance_notice_states_promised_and_statutory_dates() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SB-001", 5, &[("M3", NA)]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    let text = check_pdf(dir.path(), "acceptance", &pdf);
    // 15 promised → 2026-12-14; 30 statutory → 2027-01-05, provisional.
    has(
        &text,
        &[
            "受理通知书",
            &n.doc_no,
            "决定予以受理",
            "2026年12月14日",
            "2027年1月5日",
            "暂定日期",
            "居民身份证",
            "不适用",
            &c.case_no,
        ],
    );
}

#[test]
fn rerender_is_byte_identical_reprints_are_marked_and_pdfs_are_identified() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 6, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert_eq!(s.e.rerender_notice(&n.doc_no).unwrap(), pdf);
    // Another engine process, later, same record: same bytes.
    let e2 = yichuang_engine::Engine::open(s.e.path())
        .unwrap()
        .with_clock(clock("2027-03-01T10:00:00+08:00"));
    assert_eq!(e2.rerender_notice(&n.doc_no).unwrap(), pdf);
    let (mark, again) = s.e.reprint_notice(&s.clerk2, &n.doc_no).unwrap();
    assert!(mark.reprint && mark.n == 2);
    assert_ne!(again, pdf);
    has(
        &check_pdf(dir.path(), "reprint", &again),
        &["补打", &n.doc_no],
    );
    assert_eq!(
        s.e.identify_pdf(&pdf).unwrap(),
        Some((n.doc_no.clone(), 1, false))
    );
    assert_eq!(
        s.e.identify_pdf(&again).unwrap(),
        Some((n.doc_no.clone(), 2, false))
    );
    let mut forged = pdf.clone();
    let len = forged.len();
    forged[len / 2] ^= 1;
    assert_eq!(s.e.identify_pdf(&forged).unwrap(), None);
}

fn rare_name_case(s: &Station, name: &str) -> String {
    let mut input = new_case(&s.e, "RS-SY-001", 7, &[]);
    input.applicant = ApplicantInput::Person {
        name: name.into(),
        id_type: PersonIdType::ResidentId,
        id_no: yichuang_engine::demo::test_resident_id(7),
        phone: String::new(),
    };
    let c = s.e.register_case(&s.clerk, &input).unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    c.case_no
}

#[test]
fn a_rare_character_prints_through_the_fallback_font() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    // 𪚥 (U+2A6A5, CJK Ext-B) is not in Noto CJK; HanaMinB has it.
    let case_no = rare_name_case(&s, "王𪚥");
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    has(&check_pdf(dir.path(), "rare", &pdf), &["王𪚥"]);
}

#[test]
fn a_character_no_font_has_fails_loudly_and_uses_no_number() {
    let s = station();
    // Only Noto Serif CJK, no fallback: the Ext-B character cannot print.
    let noto = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#2";
    let bold = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc#2";
    s.e.set_setting(&s.admin, "fonts.body", noto).unwrap();
    s.e.set_setting(&s.admin, "fonts.title", bold).unwrap();
    s.e.set_setting(&s.admin, "fonts.heading", bold).unwrap();
    s.e.set_setting(&s.admin, "fonts.exclusive", "1").unwrap();
    let case_no = rare_name_case(&s, "王𪚥");
    let before = fingerprint(&s.e);
    let err = match s
        .e
        .print_notice(&s.clerk, &case_no, NoticeKind::AcceptanceNotice)
    {
        Ok(_) => panic!("printing 𪚥 without a font for it must fail"),
        Err(e) => e,
    };
    let msg = err.user_message();
    assert!(msg.contains('𪚥') && msg.contains("2A6A5"), "{msg}");
    assert_eq!(
        before,
        fingerprint(&s.e),
        "a failed print leaves no record and uses no number"
    );
    // A normal name still prints with the restricted set.
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 8, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let (n, _) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert!(n.doc_no.ends_with("第1号"), "{}", n.doc_no);
}

#[test]
fn font_settings_offer_installed_fonts_and_refuse_missing_files() {
    let s = station();
    let f = s.e.fonts_in_use().unwrap();
    // Debian's fonts-noto-cjk (installed by scripts/install-deps.sh): face 2 is SC.
    let noto = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#2";
    let offered = f
        .installed
        .iter()
        .find(|c| c.value == noto)
        .unwrap_or_else(|| panic!("{noto} not offered: {:?}", f.installed));
    assert!(offered.label.contains("Noto Serif CJK SC"), "{offered:?}");
    assert!(!f.body.is_empty() && !f.title.is_empty() && !f.heading.is_empty());

    let before = fingerprint(&s.e);
    let err =
        s.e.set_setting(&s.admin, "fonts.body", "/nonexistent/仿宋.ttf")
            .unwrap_err();
    assert_eq!(err.user_message(), "字体文件不存在：/nonexistent/仿宋.ttf");
    assert_eq!(
        fingerprint(&s.e),
        before,
        "a refused setting changes nothing"
    );

    // Choosing a font puts it first in the chain the notices use.
    let sans = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#2";
    s.e.set_setting(&s.admin, "fonts.body", sans).unwrap();
    assert_eq!(s.e.fonts_in_use().unwrap().body[0], sans);
}

#[test]
fn an_out_of_jurisdiction_refusal_names_the_competent_body() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-YL-001", 5, &[]))
            .unwrap();
    // A reason typed without closing punctuation still prints as a sentence.
    s.e.propose_rejection_to(
        &s.clerk,
        &c.case_no,
        "申请人的养老保险关系不在本统筹区",
        "《中华人民共和国行政许可法》第三十二条第一款第二项",
        Some("参保地社会保险经办机构"),
    )
    .unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
            .unwrap();
    assert_eq!(n.fields["reason"], "申请人的养老保险关系不在本统筹区。");
    let text = check_pdf(dir.path(), "rejection-competent", &pdf);
    has(
        &text,
        &[
            "不在本统筹区。",
            "本事项依法不属于本机关职权范围",
            "请你（单位）向参保地社会保险经办机构提出申请",
        ],
    );
}

#[test]
fn a_refusal_without_a_competent_body_prints_no_referral() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-YL-001", 6, &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "申请材料系伪造。",
        "《社会保险经办条例》第十条",
    )
    .unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    let n =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
            .unwrap();
    assert_eq!(n.fields["has_competent_body"], false);
    assert!(!notice_document_text(&s.e, &n).contains("不属于本机关职权范围"));
}

#[test]
fn an_old_notice_re_renders_byte_for_byte_after_new_templates() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 7, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let (old, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    // The county publishes new wording under a new version.
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).unwrap();
    v["version"] = "2026.9".into();
    v["templates"]["acceptance_notice"]["blocks"][1]["text"] =
        "本机关已受理你（单位）的申请。".into();
    assert_eq!(
        s.e.import_templates(&s.admin, &v.to_string()).unwrap(),
        "2026.9"
    );
    // The old record keeps its version and prints the same bytes.
    let again = s.e.rerender_notice(&old.doc_no).unwrap();
    assert_eq!(again, pdf);
    assert_eq!(
        old.pdf_sha256.as_deref(),
        Some(yichuang_wire::sha256_hex(&again).as_str())
    );
    assert_ne!(old.template_version, "2026.9");
    // A new notice uses the new version.
    let c2 =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 8, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c2.case_no).unwrap();
    let new =
        s.e.issue_notice(&s.clerk, &c2.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert_eq!(new.template_version, "2026.9");
}

#[test]
fn a_template_set_missing_a_notice_kind_or_the_remedies_is_refused() {
    let s = station();
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).unwrap();
    v["version"] = "2026.8".into();
    v["templates"]
        .as_object_mut()
        .unwrap()
        .remove("promise_notice");
    assert!(s.e.import_templates(&s.admin, &v.to_string()).is_err());
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).unwrap();
    v["version"] = "2026.8".into();
    v.as_object_mut().unwrap().remove("remedies");
    let e = s.e.import_templates(&s.admin, &v.to_string()).unwrap_err();
    assert!(
        e.user_message().contains("救济途径"),
        "{}",
        e.user_message()
    );
    assert_ne!(s.e.active_template_version().unwrap(), "2026.8");
}

/// A 工伤认定 with eight materials (the catalog's five and three more).
fn eight_materials(s: &Station) {
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.8".into();
    let gs = v["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["code"] == "RS-GS-001")
        .unwrap();
    let ms = gs["materials"].as_array_mut().unwrap();
    for (code, name) in [
        ("M6", "事故发生经过的书面说明"),
        ("M7", "证人证言"),
        ("M8", "住院病历复印件"),
    ] {
        ms.push(
            serde_json::json!({"code": code, "name": name, "form": "原件", "copies": 1,
            "required": true, "deferrable": false, "promise_replaces_proof": false,
            "standard": "", "sources": [{"law": "《工伤认定办法》", "article": "第六条", "item": ""}]}),
        );
    }
    s.e.import_catalog(&s.admin, &v.to_string(), "eight.json")
        .unwrap();
}

#[test]
fn an_acceptance_notice_with_eight_materials_is_one_page() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    eight_materials(&s);
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-GS-001", 21, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert_eq!(pdf_pages(dir.path(), "acceptance-8", &pdf), 1);
}

#[test]
fn a_one_time_notice_with_eight_materials_is_one_page() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    eight_materials(&s);
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-GS-001", 22, &[("M7", M)]))
            .unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    assert_eq!(pdf_pages(dir.path(), "one-time-8", &pdf), 1);
}

/// The font hashes a notice records come from the station's cache while the
/// file is unchanged (a new process reads no font file whole), and are
/// computed again once the file's identity no longer matches.
#[test]
fn font_hashes_are_remembered_per_file_and_recomputed_when_the_file_changes() {
    use sha2::{Digest, Sha256};
    let s = station();
    let db = s.dir.path().join("station.sqlite3");
    let hana_b = |e: &yichuang_engine::Engine, doc_no: &str| -> String {
        let json: String = e
            .connection()
            .query_row(
                "SELECT font_hashes FROM notices WHERE doc_no = ?1",
                [doc_no],
                |r| r.get(0),
            )
            .unwrap();
        let v: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        v.into_iter().find(|(n, _)| n == "HanaMinB.ttf").unwrap().1
    };
    let print = |e: &yichuang_engine::Engine, n: u64| -> String {
        let c = e
            .register_case(&s.clerk, &new_case(e, "RS-GS-001", n, &[("M2", M)]))
            .unwrap();
        e.request_materials(&s.clerk, &c.case_no).unwrap();
        let (rec, _) = e
            .print_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
        rec.doc_no
    };
    let fresh = || {
        yichuang_engine::Engine::open(&db)
            .unwrap()
            .with_clock(clock(TEST_NOW))
    };
    let real = {
        let path = "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf";
        let bytes = std::fs::read(path).unwrap();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };

    let first = print(&s.e, 1);
    assert_eq!(hana_b(&s.e, &first), real);
    let rows: i64 =
        s.e.connection()
            .query_row("SELECT count(*) FROM font_file_hashes", [], |r| r.get(0))
            .unwrap();
    assert!(rows >= 4, "{rows} files remembered");

    // A new engine takes the remembered hash: it does not read the file.
    let forged = "f".repeat(64);
    s.e.connection()
        .execute(
            "UPDATE font_file_hashes SET sha256 = ?1 WHERE path LIKE '%HanaMinB.ttf'",
            [&forged],
        )
        .unwrap();
    let e = fresh();
    let second = print(&e, 2);
    assert_eq!(hana_b(&e, &second), forged);

    // The file is no longer the one remembered: hashed again, and stored.
    s.e.connection()
        .execute(
            "UPDATE font_file_hashes SET identity = 'another file' WHERE path LIKE '%HanaMinB.ttf'",
            [],
        )
        .unwrap();
    let e = fresh();
    let third = print(&e, 3);
    assert_eq!(hana_b(&e, &third), real);
    let stored: String = e
        .connection()
        .query_row(
            "SELECT sha256 FROM font_file_hashes WHERE path LIKE '%HanaMinB.ttf'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, real);
}

/// Fontconfig's list of faces is kept in the station while the font and
/// configuration directories are unchanged (a new process runs no fc-list
/// before its first print), and asked again once they change.
#[test]
fn the_font_listing_is_kept_while_the_font_directories_are_unchanged() {
    let s = station();
    let db = s.dir.path().join("station.sqlite3");
    let fresh = || {
        yichuang_engine::Engine::open(&db)
            .unwrap()
            .with_clock(clock(TEST_NOW))
    };
    let listing = |e: &yichuang_engine::Engine| -> (String, String) {
        e.connection()
            .query_row("SELECT fingerprint, listing FROM font_listing", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
    };
    let before = s.e.fonts_in_use().unwrap();
    let (fingerprint, text) = listing(&s.e);
    assert_eq!(fingerprint, yichuang_pdf::fontconfig_fingerprint());
    assert!(text.contains("HanaMinB.ttf"), "{text}");

    // A fresh engine takes the kept listing as it is: a forged one that
    // names HanaMinA "FangSong" puts it first in the body chain.
    let hana_a = std::fs::canonicalize("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf").unwrap();
    let forged = format!("FangSong\tRegular\t0\tzh-cn\t{}\n", hana_a.display());
    s.e.connection()
        .execute("UPDATE font_listing SET listing = ?1", [&forged])
        .unwrap();
    let e = fresh();
    let fonts = e.fonts_in_use().unwrap();
    assert_eq!(fonts.body[0], format!("{}#0", hana_a.display()));
    assert_ne!(fonts.body, before.body);
    // The font picker reads the same kept listing: only its one face.
    let offered: Vec<&str> = fonts.installed.iter().map(|f| f.value.as_str()).collect();
    assert_eq!(offered, [format!("{}#0", hana_a.display())]);

    // Another machine state: fontconfig is asked again and the answer kept.
    e.connection()
        .execute(
            "UPDATE font_listing SET fingerprint = 'an older machine'",
            [],
        )
        .unwrap();
    let e = fresh();
    assert_eq!(e.fonts_in_use().unwrap().body, before.body);
    assert_eq!(listing(&e), (fingerprint, text));
}
