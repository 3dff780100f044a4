//! `init` and `demo`: create a station, load fictional demo data.

use serde_json::json;
use yichuang_engine::{Engine, Result};

use super::print;

pub fn init(e: &mut Engine, code: &str, name: &str, county: &str, json: bool) -> Result<()> {
    let st = e.init(code, name, county)?;
    print(json, &st, || {
        format!("已初始化站点 {} {}（{}）", st.code, st.name, st.county)
    })
}

pub fn demo(e: &mut Engine, cases: u64, json: bool) -> Result<()> {
    let clerk = yichuang_engine::demo::seed_demo(e)?;
    let start: i64 = e
        .connection()
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    yichuang_engine::demo::seed_synthetic(e, &clerk, cases, start as u64)?;
    print(
        json,
        &json!({"logged_in": clerk.staff_no, "synthetic_cases": cases}),
        || {
            format!(
                "演示数据已就绪：账号 0001 管理员 / 1001 领导 / 2001、2002 窗口人员，密码均为 {}；当前登录 {} {}",
                yichuang_engine::demo::DEMO_PASSWORD,
                clerk.staff_no,
                clerk.name
            )
        },
    )
}
