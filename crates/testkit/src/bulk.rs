//! Bulk fixtures for the benchmarks: a station with many cases, each row
//! shaped exactly as registration writes it, and optionally one chained event
//! per case (so a backup's chain verification walks a realistic log).
//! Built with plain INSERTs in large transactions: minutes of engine calls
//! for a million cases would measure the fixture, not the benchmark.

use rusqlite::params;
use yichuang_engine::Engine;
use yichuang_engine::demo::test_resident_id;
use yichuang_engine::store::name_tokens;
use yichuang_wire::{EventFields, chain_hash};

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文利斌宇浩凯健俊帆帅旭宁龙林欣怡晨阳佳琪雪梅子轩博文雨涵梓萱浩然一诺思远海峰春生德福";

/// Deterministic pseudo-random numbers (no dependency, same data every run).
pub struct Lcg(pub u64);
impl Lcg {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// One bulk case: what a search can look it up by.
pub struct BulkCase {
    pub case_no: String,
    pub id_no: String,
    pub name: String,
}

/// Adds `rows` accepted cases (fictional names, valid test ID numbers) to the
/// station of `e`; with `events`, one `case.registered` event each, chained
/// onto the station's log.
pub fn bulk_cases(e: &Engine, rows: u64, events: bool) -> Vec<BulkCase> {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let mut rng = Lcg(7);
    let mut out = Vec::with_capacity(rows as usize);
    let conn = e.connection();
    let log_id = e.station().expect("station").log_id.clone();
    conn.execute_batch("BEGIN").expect("begin");
    let (mut seq, mut prev): (i64, String) = conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("head");
    let last_seq = seq;
    let mut app = conn
        .prepare("INSERT INTO applicants (kind, name, id_type, id_no, created_at) VALUES ('person', ?1, 'resident_id', ?2, 't')")
        .expect("prep");
    let mut case = conn
        .prepare(
            "INSERT INTO cases (case_no, item_code, item_name, catalog_version, applicant_id, applicant_kind,
                applicant_name, applicant_id_type, applicant_id_no, first_contact, handler, state, received_on,
                registered_at, onetime_notice_due, last_event_seq, updated_at)
             VALUES (?1, 'RS-SY-001', '失业保险金申领', (SELECT version FROM catalogs WHERE active = 1), ?2, 'person', ?3, 'resident_id', ?4, 1, 1,
                'accepted', ?5, 't', ?5, ?6, 't')",
        )
        .expect("prep");
    let mut fts = conn
        .prepare("INSERT INTO case_name_fts (rowid, tokens) VALUES (?1, ?2)")
        .expect("prep");
    let mut ev = conn
        .prepare(
            "INSERT INTO events (seq, log_id, event_id, kind, schema_version, device_time, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, 'case.registered', 1, ?4, ?5, ?6, ?7)",
        )
        .expect("prep");
    for i in 0..rows {
        let mut name = String::new();
        name.push(surnames[(rng.next() % surnames.len() as u64) as usize]);
        for _ in 0..(1 + rng.next() % 2) {
            name.push(given[(rng.next() % given.len() as u64) as usize]);
        }
        let id_no = test_resident_id(i * 7919 % 1_000_000_007);
        let day = 1 + (i / 5000) % 28;
        let case_no = format!("BENCH1-202611{day:02}-{i:07}");
        app.execute(params![name, format!("{id_no}-{i}")])
            .expect("applicant");
        let aid = conn.last_insert_rowid();
        case.execute(params![
            case_no,
            aid,
            name,
            id_no,
            format!("2026-11-{day:02}"),
            last_seq
        ])
        .expect("case");
        fts.execute(params![conn.last_insert_rowid(), name_tokens(&name)])
            .expect("fts");
        if events {
            seq += 1;
            let event_id = format!("00000000-0000-7000-8000-{:012x}", seq);
            let device_time = format!("2026-11-{day:02}T09:30:00.000+08:00");
            let payload = format!(
                r#"{{"case_no":"{case_no}","item_code":"RS-SY-001","applicant":{{"kind":"person","name":"{name}","id_type":"resident_id","id_no":"{id_no}"}},"state":"accepted","materials":{{"M1":"received","M2":"received"}},"actor":"2001"}}"#
            );
            let hash = chain_hash(
                &prev,
                &EventFields {
                    log_id: &log_id,
                    seq: seq as u64,
                    event_id: &event_id,
                    kind: "case.registered",
                    schema_version: 1,
                    device_time: &device_time,
                    payload: &payload,
                },
            );
            ev.execute(params![
                seq,
                log_id,
                event_id,
                device_time,
                payload,
                prev,
                hash
            ])
            .expect("event");
            prev = hash;
        }
        out.push(BulkCase {
            case_no,
            id_no,
            name,
        });
        if i % 200_000 == 199_999 {
            conn.execute_batch("COMMIT; BEGIN").expect("commit");
        }
    }
    conn.execute_batch("COMMIT; ANALYZE").expect("commit");
    out
}
