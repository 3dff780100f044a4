//! yichuang (一窗): the station case engine. Every rule of the counter lives
//! here, so it is testable without a window; see ARCHITECTURE.md for the map.

pub mod calendar;
pub mod case;
pub mod catalog;
pub mod clerk;
pub mod clock;
pub mod deadline;
pub mod demo;
pub mod engine;
pub mod error;
pub mod evaluation;
pub mod eventlog;
pub mod filing;
pub mod ids;
pub mod notice;
pub mod render;
pub mod search;
pub mod store;
pub mod sync;

pub use case::{
    ApplicantInput, CaseState, CaseView, MaterialStatus, NewCase, Outcome, PersonIdType,
};
pub use clerk::{Clerk, Role};
pub use clock::Clock;
pub use engine::{Engine, StationInfo};
pub use error::{Error, Result};
pub use notice::NoticeKind;
