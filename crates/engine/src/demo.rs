//! Demo station data: fictional clerks and applicants with valid-checksum
//! test ID numbers, a few example cases, and optional synthetic load.

use std::collections::BTreeMap;

use crate::domain::case::{ApplicantInput, MaterialStatus, NewCase, PersonIdType};
use crate::domain::clerk::{Clerk, Role};
use crate::domain::ids::{resident_id_check_char, uscc_check_char};
use crate::domain::notice::NoticeKind;
use crate::engine::Engine;
use crate::error::Result;

/// Password of every demo account. Demo databases only.
pub const DEMO_PASSWORD: &str = "demo1234";

pub const DEMO_CLERKS: [(&str, &str, Role); 4] = [
    ("0001", "系统管理员", Role::Admin),
    ("1001", "王示范", Role::Leader),
    ("2001", "张窗口", Role::Clerk),
    ("2002", "李窗口", Role::Clerk),
];

const SURNAMES: [&str; 10] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
const GIVEN: [&str; 10] = [
    "测试", "示例", "演示", "样本", "模拟", "假名", "虚构", "甲乙", "丙丁", "戊己",
];

/// A fictional resident ID number with a valid checksum (region 110101).
pub fn test_resident_id(n: u64) -> String {
    let year = 1950 + (n % 50);
    let month = 1 + (n / 50) % 12;
    let day = 1 + (n / 600) % 28;
    let first17 = format!("110101{year:04}{month:02}{day:02}{:03}", n % 1000);
    let check = resident_id_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// A fictional 统一社会信用代码 with a valid checksum.
pub fn test_uscc(n: u64) -> String {
    let first17 = format!("91110101MA{:07}", n % 10_000_000);
    let check = uscc_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub fn test_person_name(n: u64) -> String {
    format!(
        "{}{}",
        SURNAMES[(n % 10) as usize],
        GIVEN[((n / 10) % 10) as usize]
    )
}

fn person(n: u64) -> ApplicantInput {
    ApplicantInput::Person {
        name: test_person_name(n),
        id_type: PersonIdType::ResidentId,
        id_no: test_resident_id(n),
        phone: format!("1380000{:04}", n % 10_000),
    }
}

fn all_received(e: &Engine, item_code: &str) -> Result<BTreeMap<String, MaterialStatus>> {
    let cat = e.catalog()?;
    Ok(cat
        .item(item_code)
        .map(|i| {
            i.materials
                .iter()
                .map(|m| (m.code.clone(), MaterialStatus::Received))
                .collect()
        })
        .unwrap_or_default())
}

/// Seeds a demo station: initialises it if needed, adds the demo clerks,
/// logs clerk 2001 in and registers a handful of example cases.
pub fn seed_demo(e: &mut Engine) -> Result<Clerk> {
    if e.station.is_none() {
        e.init("DEMO01", "城关镇服务站", "示范县")?;
    }
    if e.clerks()?.is_empty() {
        let admin = e.add_clerk(
            None,
            DEMO_CLERKS[0].0,
            DEMO_CLERKS[0].1,
            Role::Admin,
            DEMO_PASSWORD,
        )?;
        for (no, name, role) in &DEMO_CLERKS[1..] {
            e.add_clerk(Some(&admin), no, name, *role, DEMO_PASSWORD)?;
        }
    }
    let clerk = e.login("2001", DEMO_PASSWORD)?;
    let existing: i64 = e
        .connection()
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    if existing > 0 {
        return Ok(clerk);
    }
    // 1. Everything there → accepted, acceptance notice.
    let mut m = all_received(e, "RS-SY-001")?;
    let c = e.register_case(&clerk, &NewCase::simple("RS-SY-001", person(1), m))?;
    e.accept(&clerk, &c.case_no)?;
    e.issue_notice(&clerk, &c.case_no, NoticeKind::AcceptanceNotice)?;
    // 2. Something missing → one-time notice.
    m = all_received(e, "RS-GS-001")?;
    m.insert("M3".into(), MaterialStatus::Missing);
    let c = e.register_case(&clerk, &NewCase::simple("RS-GS-001", person(2), m))?;
    e.request_materials(&clerk, &c.case_no)?;
    e.issue_notice(&clerk, &c.case_no, NoticeKind::OneTimeNotice)?;
    // 3. Only 容缺 materials missing → commitment.
    m = all_received(e, "RS-SB-001")?;
    m.insert("M2".into(), MaterialStatus::Missing);
    m.insert("M3".into(), MaterialStatus::NotApplicable);
    let c = e.register_case(&clerk, &NewCase::simple("RS-SB-001", person(3), m))?;
    e.accept_with_commitment(&clerk, &c.case_no, true)?;
    e.issue_notice(&clerk, &c.case_no, NoticeKind::CommitmentNotice)?;
    // 4. Not acceptable → waiting for the leader's approval: a 工伤认定
    // filed after the one-year limit, a condition of acceptance (工伤认定办法 §8).
    m = all_received(e, "RS-GS-001")?;
    let c = e.register_case(
        &clerk,
        &NewCase::simple(
            "RS-GS-001",
            ApplicantInput::Organization {
                name: "示范县测试科技有限公司".into(),
                uscc: test_uscc(1),
                phone: "0000-1234567".into(),
            },
            m,
        ),
    )?;
    e.propose_rejection(
        &clerk,
        &c.case_no,
        "申请超过事故伤害发生之日起1年的申请时限",
        "《工伤保险条例》第十七条第二款、《工伤认定办法》第八条",
    )?;
    // 4b. An arbitration application the commission decides: received here,
    // forwarded, with a 收件回执.
    m = all_received(e, "RS-ZC-001")?;
    let c = e.register_case(&clerk, &NewCase::simple("RS-ZC-001", person(4), m))?;
    e.forward(&clerk, &c.case_no)?;
    e.issue_notice(&clerk, &c.case_no, NoticeKind::ReceiptNotice)?;
    // 5. A fresh registration waiting at the counter.
    e.register_case(
        &clerk,
        &NewCase::simple("RS-JN-001", person(5), BTreeMap::new()),
    )?;
    Ok(clerk)
}

/// Synthetic load: `n` cases, each registered, decided and given its notice,
/// exactly as at the counter. Used by the benchmark and crash tests.
pub fn seed_synthetic(e: &Engine, clerk: &Clerk, n: u64, start: u64) -> Result<()> {
    let cat = e.catalog()?;
    for i in start..start + n {
        let item = &cat.items[(i % cat.items.len() as u64) as usize];
        let mut m: BTreeMap<String, MaterialStatus> = item
            .materials
            .iter()
            .map(|m| (m.code.clone(), MaterialStatus::Received))
            .collect();
        let deferrable = item.materials.iter().find(|m| m.deferrable);
        let path = i % 3;
        if path == 1 {
            m.insert(item.materials[0].code.clone(), MaterialStatus::Missing);
        } else if let (2, Some(d)) = (path, deferrable) {
            m.insert(d.code.clone(), MaterialStatus::Missing);
        }
        let c = e.register_case(clerk, &NewCase::simple(&item.code, person(1000 + i), m))?;
        let kind = match (path, deferrable) {
            _ if c.handling.receives_only() => {
                e.forward(clerk, &c.case_no)?;
                NoticeKind::ReceiptNotice
            }
            (1, _) => {
                e.request_materials(clerk, &c.case_no)?;
                NoticeKind::OneTimeNotice
            }
            (2, Some(_)) => {
                e.accept_with_commitment(clerk, &c.case_no, true)?;
                NoticeKind::CommitmentNotice
            }
            _ => {
                e.accept(clerk, &c.case_no)?;
                NoticeKind::AcceptanceNotice
            }
        };
        e.issue_notice(clerk, &c.case_no, kind)?;
    }
    Ok(())
}
