//! Store-backed operations: each module adds the methods of one concern to
//! [`Engine`](crate::Engine), reading and writing through `store` and
//! deciding with `domain`.

pub mod accounts;
pub mod backup;
pub mod cases;
pub mod deadlines;
pub mod evaluations;
pub mod eventlog;
pub mod filing;
pub mod fonts;
pub mod ledger_export;
pub mod notices;
pub mod privacy;
pub mod protect;
pub mod restore;
pub mod search;
pub mod settings;
pub mod setup;
pub mod supervision;
pub mod sync;
