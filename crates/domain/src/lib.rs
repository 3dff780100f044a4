//! The pure domain: every rule of the counter that can be stated without a
//! database. No module here names `Engine`, the store or SQLite (a test in
//! `tests/architecture.rs` keeps it so); store-backed operations in `ops`
//! import these, never the other way round.

pub mod calendar;
pub mod case;
pub mod catalog;
pub mod checklist;
pub mod clerk;
pub mod deadline;
pub mod evaluation;
pub mod ids;
pub mod ledger;
pub mod lifecycle;
pub mod notice;
pub mod notice_fields;
pub mod settings;
pub mod station;
pub mod template;
pub mod vocabulary;
