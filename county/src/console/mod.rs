//! The county oversight console (docs/design/county-console.md): staff
//! accounts and sessions, the audit log, the 总览, and the web UI the
//! county binary serves under `/console`.
//!
//! - [`rules`] — who may do what, password, lockout and session rules,
//!   the refusals (pure).
//! - [`overview`] — the 总览's figures from the projections' counts, by the
//!   engine's rules (pure).
//! - [`evaluations`] — the 好差评 pages' figures, by the engine's rules (pure).
//! - [`cases`] — 办件详情: one case's facts and history (pure).
//! - [`filings`] — 否定备案审查: the register, findings, 通报, closings (pure).
//! - [`supervision`] — 时限督办 and 挂牌督办 (pure).
//! - `oversight` — their routes.
//! - [`releases`] — 发布: a release file's check (the stations' own) and
//!   its difference from the newest release (pure); `releases_api` its
//!   routes and the publishing shared with `yichuang-county publish`.
//! - [`stations`] — the 站点与设备 and 隔离区 pages' meaning of each
//!   device's facts, the checks of their forms (pure);
//!   [`device_acts`] — the administrator's acts on devices, shared by the
//!   API and the commands (the database with its audit line, then the
//!   administration log).
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
pub mod cases;
pub mod device_acts;
pub mod evaluations;
pub mod export;
pub mod filings;
mod oversight;
pub mod overview;
pub mod releases;
mod releases_api;
pub use releases_api::{PublishError, publish_checked};
pub mod rules;
pub mod stations;
mod stations_api;
pub mod supervision;
