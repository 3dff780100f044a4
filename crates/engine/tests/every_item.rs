//! Every item of the catalog, through every notice it allows: the printed PDF
//! (pdftotext) carries the item, its legal basis, each period with its unit,
//! the remedy of the item's route, and the document number.

use yichuang_engine::catalog::{RemedyRoute, ServiceItem};
use yichuang_engine::{MaterialStatus, NoticeKind};
use yichuang_testkit::*;

fn has(text: &str, what: &str, needle: &str) {
    assert!(
        text.contains(needle),
        "{what}: missing {needle:?} in\n{text}"
    );
}

/// The remedy words each route must print, and words it must not.
fn remedy_words(route: RemedyRoute) -> (&'static [&'static str], &'static [&'static str]) {
    match route {
        RemedyRoute::ReviewOrLawsuit => (
            &[
                "六十日内",
                "申请行政复议",
                "或者自收到本决定之日起六个月内",
                "提起行政诉讼",
            ],
            &["应当自收到本决定之日起"],
        ),
        RemedyRoute::ReviewFirst => (
            &[
                "应当自收到本决定之日起六十日内",
                "对行政复议决定不服的",
                "十五日内",
            ],
            &["六个月内"],
        ),
        RemedyRoute::LabourArbitrationCourt => (
            &["就该劳动争议事项依法向示范县人民法院提起诉讼"],
            &["行政复议", "日内"],
        ),
    }
}

fn period(days: u32, unit: &str) -> String {
    format!("{days}{unit}")
}

#[test]
fn every_item_prints_every_notice_it_allows_with_its_legal_elements() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let catalog = s.e.catalog().unwrap();
    // The county hall: a window of every body, so every decision is printed.
    let all: Vec<&str> = catalog.bodies.keys().map(String::as_str).collect();
    acts_for(&s, &all.join(","));
    let mut printed = 0;
    for (n, item) in catalog.items.iter().enumerate() {
        let n = n as u64 * 10;
        let ServiceItem { code, name, .. } = item;
        let basis = yichuang_engine::catalog::cite_all(&item.legal_basis);
        // The deciding body signs and numbers in its own series.
        let (issuer, series) = match &item.decider {
            Some(id) => {
                let b = &catalog.bodies[id];
                (b.name.replace("{county}", "示范县"), Some(b))
            }
            None => (
                if item.remedy == RemedyRoute::LabourArbitrationCourt {
                    "示范县劳动人事争议仲裁委员会".to_owned()
                } else {
                    "示范县人力资源和社会保障局".to_owned()
                },
                None,
            ),
        };
        let numbered = |doc_no: &str, kind: NoticeKind, what: &str| {
            let prefix = match series {
                Some(b) => b.series[kind.as_str()]
                    .replace("{county}", "示范县")
                    .replace("{station}", "城关镇服务站"),
                None => "示范县城关镇服务站".to_owned(),
            };
            assert!(
                doc_no.starts_with(&prefix),
                "{what}: {doc_no} not in {prefix}"
            );
        };
        let (statutory, promised) = (
            period(item.statutory_days, item.statutory_unit.label_zh()),
            period(item.promised_days, item.promised_unit.label_zh()),
        );

        // 一次性告知单: the first required material missing.
        let first = item.materials.iter().find(|m| m.required).unwrap();
        let c =
            s.e.register_case(
                &s.clerk,
                &new_case(&s.e, code, n + 1, &[(&first.code, MaterialStatus::Missing)]),
            )
            .unwrap();
        s.e.request_materials(&s.clerk, &c.case_no).unwrap();
        let (rec, pdf) =
            s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
                .unwrap();
        let t = pdf_text(dir.path(), &format!("{code}-one-time"), &pdf);
        let what = format!("{code} 一次性告知单");
        for needle in [
            name.as_str(),
            &rec.doc_no,
            &first.name,
            &statutory,
            &promised,
        ] {
            has(&t, &what, needle);
        }
        has(&t, &what, &basis[0]);
        has(&t, &what, &issuer);
        numbered(&rec.doc_no, NoticeKind::OneTimeNotice, &what);
        for b in yichuang_engine::catalog::cite_all(&item.acceptance_basis) {
            has(&t, &what, &b);
        }
        printed += 1;

        // 受理通知书: everything received.
        let c =
            s.e.register_case(&s.clerk, &new_case(&s.e, code, n + 2, &[]))
                .unwrap();
        s.e.accept(&s.clerk, &c.case_no).unwrap();
        let (rec, pdf) =
            s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
                .unwrap();
        let t = pdf_text(dir.path(), &format!("{code}-acceptance"), &pdf);
        let what = format!("{code} 受理通知书");
        for needle in [name.as_str(), &rec.doc_no, "受理通知书", &issuer] {
            has(&t, &what, needle);
        }
        numbered(&rec.doc_no, NoticeKind::AcceptanceNotice, &what);
        printed += 1;

        // 不予受理通知书: the route's remedy.
        let c =
            s.e.register_case(&s.clerk, &new_case(&s.e, code, n + 3, &[]))
                .unwrap();
        s.e.propose_rejection_to(
            &s.clerk,
            &c.case_no,
            "申请事项依法不属于本机关职权范围",
            "《中华人民共和国行政许可法》第三十二条第一款第二项",
            Some("有权受理的机关"),
        )
        .unwrap();
        s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
        let (rec, pdf) =
            s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
                .unwrap();
        let t = pdf_text(dir.path(), &format!("{code}-rejection"), &pdf);
        let what = format!("{code} 不予受理通知书 ({:?})", item.remedy);
        has(&t, &what, &rec.doc_no);
        has(&t, &what, &issuer);
        numbered(&rec.doc_no, NoticeKind::RejectionNotice, &what);
        has(&t, &what, "向有权受理的机关提出申请");
        // The leader's approval is noted only where the body's procedure has it.
        let approval_noted = t.contains("审批。");
        assert_eq!(
            approval_noted,
            series.is_none_or(|b| b.approval_note),
            "{what}: approval note"
        );
        if let Some(b) = series
            && let Some(review) = &b.review_body
        {
            has(&t, &what, &review.replace("{county}", "示范县"));
        }
        let (must, must_not) = remedy_words(item.remedy);
        for needle in must {
            has(&t, &what, needle);
        }
        let remedy = rec.fields["remedy"]["sentence"].as_str().unwrap();
        for word in must_not {
            assert!(!remedy.contains(word), "{what}: {word:?} in {remedy}");
        }
        printed += 1;

        // 容缺受理承诺告知书, where a material may be deferred.
        if let Some(d) = item.materials.iter().find(|m| m.deferrable && m.required) {
            let c =
                s.e.register_case(
                    &s.clerk,
                    &new_case(&s.e, code, n + 4, &[(&d.code, MaterialStatus::Missing)]),
                )
                .unwrap();
            s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
                .unwrap();
            let (rec, pdf) =
                s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::CommitmentNotice)
                    .unwrap();
            let t = pdf_text(dir.path(), &format!("{code}-commitment"), &pdf);
            let what = format!("{code} 容缺受理承诺告知书");
            for needle in [name.as_str(), &rec.doc_no, &d.name] {
                has(&t, &what, needle);
            }
            printed += 1;
        }

        // 证明事项告知承诺书, where a proof may be replaced by a promise.
        if let Some(p) = item.materials.iter().find(|m| m.promise_replaces_proof) {
            let c =
                s.e.register_case(
                    &s.clerk,
                    &new_case(&s.e, code, n + 5, &[(&p.code, MaterialStatus::Promised)]),
                )
                .unwrap();
            let (rec, pdf) =
                s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::PromiseNotice)
                    .unwrap();
            let t = pdf_text(dir.path(), &format!("{code}-promise"), &pdf);
            let what = format!("{code} 证明事项告知承诺书");
            for needle in [
                name.as_str(),
                &rec.doc_no,
                "证明事项告知承诺书（申请人承诺）",
            ] {
                has(&t, &what, needle);
            }
            printed += 1;
        }
    }
    // 10 items × 3, plus the items with 容缺 and with 告知承诺.
    assert!(printed >= 10 * 3 + 4, "{printed}");
}

/// A township station is a window of no other body: an item that body
/// decides is received and forwarded, with a 收件回执 in the station's own
/// series that decides nothing and names who decides and within what period.
#[test]
fn a_township_station_receives_and_forwards_what_others_decide() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let catalog = s.e.catalog().unwrap();
    let mut forwarded = 0;
    for (n, item) in catalog.items.iter().enumerate() {
        let c =
            s.e.register_case(&s.clerk, &new_case(&s.e, &item.code, 500 + n as u64, &[]))
                .unwrap();
        let Some(body) = item
            .decider
            .as_ref()
            .map(|id| &catalog.bodies[id])
            .filter(|b| !b.stations_accept)
        else {
            assert!(!c.handling.receives_only(), "{}", item.code);
            continue;
        };
        let body_name = body.name.replace("{county}", "示范县");
        assert_eq!(
            c.outcomes,
            [
                yichuang_engine::case::Outcome::Forward,
                yichuang_engine::case::Outcome::Withdraw
            ]
        );
        // Never a decision in the body's name.
        let before = fingerprint(&s.e);
        for refused in [
            s.e.accept(&s.clerk, &c.case_no),
            s.e.request_materials(&s.clerk, &c.case_no),
            s.e.propose_rejection(&s.clerk, &c.case_no, "理由", "依据"),
        ] {
            let e = refused.unwrap_err();
            assert!(e.user_message().contains("只收件转送"), "{e}");
        }
        assert_eq!(before, fingerprint(&s.e));
        let f = s.e.forward(&s.clerk, &c.case_no).unwrap();
        assert_eq!(f.state, yichuang_engine::CaseState::Forwarded);
        assert_eq!(f.forwarded_to.as_deref(), Some(body_name.as_str()));
        let (rec, pdf) =
            s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::ReceiptNotice)
                .unwrap();
        let t = pdf_text(dir.path(), &format!("{}-receipt", item.code), &pdf);
        let what = format!("{} 收件回执", item.code);
        let review = format!(
            "{}{}",
            yichuang_engine::template::chinese_numeral(item.acceptance_days.into()).unwrap(),
            item.acceptance_unit.label_zh()
        );
        for needle in [
            "收件回执",
            item.name.as_str(),
            &body_name,
            "不是受理凭证",
            &review,
            "示范县人力资源和社会保障局",
            &rec.doc_no,
        ] {
            has(&t, &what, needle);
        }
        for b in yichuang_engine::catalog::cite_all(&item.acceptance_basis) {
            has(&t, &what, &b);
        }
        assert!(
            rec.doc_no.starts_with("示范县城关镇服务站收字〔2026〕"),
            "{}",
            rec.doc_no
        );
        // No remedy: a receipt decides nothing.
        assert!(!t.contains("行政复议") && !t.contains("提起诉讼"), "{what}");
        forwarded += 1;
    }
    // 劳动能力鉴定 (the city's committee) and arbitration (the commission).
    assert_eq!(forwarded, 2);
}
