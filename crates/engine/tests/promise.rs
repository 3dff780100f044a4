//! 告知承诺 (a written promise replaces a proof for good): its own notice,
//! the 证明事项告知承诺书 with the applicant's signed promise, and who may
//! sign it. 容缺受理 (a proof only deferred) keeps its own pair.

use yichuang_engine::case::{AgentInput, NewCase};
use yichuang_engine::{CaseState, Error, MaterialStatus, NoticeKind};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const PROMISED: MaterialStatus = MaterialStatus::Promised;
const YEARS_WORKED: &str = "从事本职业（工种）工作年限证明";

#[test]
fn a_promised_proof_gets_the_promise_notice_at_intake() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(
                &s.e,
                SKILL_CERTIFICATION,
                "赵测试",
                &[(YEARS_WORKED, PROMISED)],
            ),
        )
        .unwrap();
    assert!(c.has_promised());
    assert_eq!(
        c.printable_notices
            .iter()
            .map(|n| n.kind)
            .collect::<Vec<_>>(),
        [NoticeKind::PromiseNotice]
    );
    let dir = tempfile::tempdir().unwrap();
    let (n, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::PromiseNotice)
            .unwrap();
    assert!(n.doc_no.contains('〔'), "{}", n.doc_no);
    let text = pdf_text(dir.path(), "promise", &pdf);
    for element in [
        "证明事项告知承诺书",
        "职业技能等级认定",
        "示范县实行告知承诺制的证明事项目录",
        // How to promise, who may, checking, liability, disclosure.
        "承诺不得由他人代为作出",
        "法定监护人代为承诺",
        "受理后、作出认定决定前",
        "取消其职业技能等级认定结果",
        "记入信用记录",
        "本承诺书不向社会公开",
        "不愿承诺或者无法承诺的，应当按要求提交下列证明",
        // The applicant's signed part.
        "证明事项告知承诺书（申请人承诺）",
        "自愿选择以告知承诺方式代替提交下列证明",
        "承诺人（签名或盖章）",
        &c.case_no,
    ] {
        assert!(text.contains(element), "missing {element:?} in:\n{text}");
    }
    // The proof, the rule that requires it, what it shows, how it is checked
    // (a table: pdftotext interleaves its narrow columns, so read the record).
    let row = &n.fields["promised"][0];
    assert_eq!(row["name"], YEARS_WORKED);
    assert_eq!(row["proof_basis"], "相应职业《国家职业技能标准》申报条件");
    assert_eq!(
        row["proof_content"],
        "从事本职业（工种）工作的年限符合申报条件"
    );
    assert!(row["check_how"].as_str().unwrap().starts_with("书面核查"));
    // The applicant's promise is a page of its own after the notice.
    let pledge = text.find("证明事项告知承诺书（申请人承诺）").unwrap();
    let signed = text
        .find("示范县职业技能鉴定指导中心2026年11月23日")
        .unwrap();
    assert!(signed < pledge);
    let pages = pdf_pages(dir.path(), "promise", &pdf);
    assert!(pages >= 2, "notice and promise page: {pages}");
}

#[test]
fn the_promise_notice_stays_printable_after_acceptance_and_the_promise_replaces_the_proof() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(
                &s.e,
                SKILL_CERTIFICATION,
                "钱测试",
                &[(YEARS_WORKED, PROMISED)],
            ),
        )
        .unwrap();
    // A promise satisfies the material: 受理 without the proof.
    let c = s.e.accept(&s.clerk, &c.case_no).unwrap();
    assert_eq!(c.state, CaseState::Accepted);
    assert_eq!(
        c.printable_notices
            .iter()
            .map(|n| n.kind)
            .collect::<Vec<_>>(),
        [NoticeKind::AcceptanceNotice, NoticeKind::PromiseNotice]
    );
    s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::PromiseNotice)
        .unwrap();
}

#[test]
fn no_promise_notice_without_a_promised_proof() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, SKILL_CERTIFICATION, "孙测试", &[]),
        )
        .unwrap();
    let e =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::PromiseNotice)
            .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Rule {
                rule: "notice_not_allowed",
                ..
            }
        ),
        "{e:?}"
    );
}

fn with_agent(s: &Station, guardian: bool) -> NewCase {
    let mut input = case_for(
        &s.e,
        SKILL_CERTIFICATION,
        "李测试",
        &[(YEARS_WORKED, PROMISED)],
    );
    input.agent = Some(AgentInput {
        name: "周代办".into(),
        id_no: yichuang_engine::demo::test_resident_id(77),
        guardian,
    });
    input
}

#[test]
fn an_agent_may_not_promise_for_the_applicant_and_nothing_is_written() {
    let s = station();
    let before = fingerprint(&s.e);
    let e =
        s.e.register_case(&s.clerk, &with_agent(&s, false))
            .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Rule {
                rule: "promise_by_agent",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.user_message().contains("法定监护人"),
        "{}",
        e.user_message()
    );
    assert_eq!(before, fingerprint(&s.e));
}

#[test]
fn a_legal_guardian_may_promise() {
    let s = station();
    let c = s.e.register_case(&s.clerk, &with_agent(&s, true)).unwrap();
    assert!(c.agent_is_guardian);
    let n =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::PromiseNotice)
            .unwrap();
    assert_eq!(n.fields["signed_by_guardian"], true);
}

#[test]
fn a_catalog_whose_promised_proof_has_no_terms_is_refused() {
    let s = station();
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.8".into();
    let items = v["items"].as_array_mut().unwrap();
    let skill = items
        .iter_mut()
        .find(|i| i["code"] == SKILL_CERTIFICATION)
        .unwrap();
    let m3 = skill["materials"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["code"] == "M3")
        .unwrap();
    m3.as_object_mut().unwrap().remove("promise");
    let e =
        s.e.import_catalog(&s.admin, &v.to_string(), "county-2026.8.json")
            .unwrap_err();
    match &e {
        Error::Catalog { item, field, .. } => {
            assert_eq!(
                (item.as_str(), field.as_str()),
                ("RS-JN-001", "materials.M3.promise")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.e.catalog().unwrap().version, "2026.1.2");
}
