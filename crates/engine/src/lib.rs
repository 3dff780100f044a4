//! yichuang (一窗): the station case engine. Every rule of the counter lives
//! here, so it is testable without a window; see ARCHITECTURE.md for the map.
//!
//! `domain` holds the rules that need no database (the `yichuang-domain`
//! crate, re-exported here, which the county server links as well); `ops`
//! the operations over the station database (one `impl Engine` block per
//! concern); `engine` and `store` the database itself and its single write path.

pub use yichuang_domain as domain;
pub use yichuang_domain::error;

pub mod at_rest;
pub mod clock;
pub mod demo;
pub mod engine;
pub mod ops;
pub mod store;
pub mod xlsx;

pub use domain::{
    calendar, case, catalog, clerk, deadline, evaluation, ids, ledger, lifecycle, notice, settings,
    station, template, vocabulary,
};
pub use ops::{
    accounts, backup, evaluations, eventlog, filing, fonts, ledger_export, privacy, protect,
    restore, search, setup, sync,
};

pub use at_rest::{Custody, DataKey, ProtectWith};
pub use case::{ApplicantInput, CaseView, MaterialStatus, NewCase, Outcome, PersonIdType};
pub use clerk::{Clerk, Role};
pub use clock::Clock;
pub use engine::Engine;
pub use error::{Error, Result};
pub use lifecycle::CaseState;
pub use notice::NoticeKind;
pub use station::StationInfo;
