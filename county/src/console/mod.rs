//! The county oversight console (docs/design/county-console.md): staff
//! accounts and sessions, the audit log, the 总览, and the web UI the
//! county binary serves under `/console`.
//!
//! - [`rules`] — who may do what, password, lockout and session rules,
//!   the refusals (pure).
//! - [`overview`] — the 总览's figures from the projections' counts, by the
//!   engine's rules (pure).
//! - [`evaluations`] — the 好差评 pages' figures, by the engine's rules (pure).
//! - [`releases`] — 发布: a release file's check (the stations' own) and
//!   its difference from the newest release (pure); `releases_api` its
//!   routes and the publishing shared with `yichuang-county publish`.
//! - [`export`] — any page's tables as an `.xlsx` workbook.
//! - [`auth`] — argon2 hashing, random tokens, their digests.
//! - [`accounts`] — adding and changing staff (validation, hashing,
//!   storage and the audit line together), shared by the HTTP API and the
//!   `staff add` command.
//! - [`api`] — the `/console/api` routes and the session check;
//!   [`assets`] — the built UI embedded in the binary.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod evaluations;
pub mod export;
pub mod overview;
pub mod releases;
mod releases_api;
pub use releases_api::{PublishError, publish_checked};
pub mod rules;
