//! 办件详情: one case as the county holds it — its facts, every step of its
//! history, its notices, its 好差评 and its flag — with the applicant masked
//! as the window masks them. Pure: names each step by the engine's labels.

use serde::Serialize;
use yichuang_domain::catalog::Catalog;
use yichuang_domain::lifecycle::{Action, CaseState};

use super::filings::{NoticeLine, notice_line};
use crate::storage::{CaseDetail, HistoryStep};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: CaseDetail,
    pub state_zh: &'static str,
    pub item_name: Option<String>,
    pub steps: Vec<StepLine>,
    pub notices_zh: Vec<NoticeLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLine {
    #[serde(flatten)]
    pub step: HistoryStep,
    pub action_zh: &'static str,
    pub state_zh: &'static str,
}

fn state_zh(s: &str) -> &'static str {
    CaseState::parse(s).map_or("其他", CaseState::label_zh)
}

pub fn view(case: CaseDetail, catalog: Option<&Catalog>) -> CaseView {
    let steps = case
        .history
        .iter()
        .map(|h| StepLine {
            action_zh: if h.action == "registered" {
                "登记"
            } else {
                Action::from_name(&h.action).map_or("其他", Action::label_zh)
            },
            state_zh: state_zh(&h.state),
            step: h.clone(),
        })
        .collect();
    CaseView {
        state_zh: state_zh(&case.state),
        item_name: case
            .item_code
            .as_deref()
            .and_then(|i| catalog.and_then(|c| c.item(i)))
            .map(|i| i.name.clone()),
        notices_zh: case.notices.iter().map(notice_line).collect(),
        steps,
        case,
    }
}
