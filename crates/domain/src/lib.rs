//! yichuang-domain: every rule of the counter that can be stated without a
//! database — the lifecycle, the catalog and its periods, the calendar,
//! deadlines, 好差评, notices and their fields, ids, settings. The station
//! engine (`yichuang-engine`) re-exports it as its `domain` and runs it over
//! SQLite; the county server links it for the same figures (its console
//! never restates a rule). Nothing here can name the engine, its store or
//! SQLite: this crate does not depend on them (only [`error`] wraps a
//! SQLite error, behind the `sqlite` feature the engine turns on).

pub mod error;
pub use error::{Error, Result};

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
