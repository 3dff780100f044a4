//! What the county stores, as small traits per concern; the HTTP layer and
//! the admin commands name only these, never a backend. [`crate::pg::PgStorage`]
//! is the production backend. Another (e.g. a one-machine trial store) would
//! implement the same traits; it must not link SQLite into the county.
//!
//! Backends store what [`crate::protocol`] decides and decide nothing
//! themselves. Architecture invariant: [`EventLog::append`] is the only way
//! events enter the county; it decides under the device's locked head and
//! answers only after the batch is durably committed.

use yichuang_wire::SecretKey;
use yichuang_wire::{QuarantineNotice, ReleaseManifest};

use crate::protocol::Refusal;
use crate::protocol::enrolment::NewDevice;
use crate::protocol::upload::{Accepted, CheckedBatch, Head};

/// A backend's own error, kept for the log only.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Failures of storage, whatever the backend; never shown in detail to a client.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend failed (connection, query, transaction).
    #[error("storage backend: {0}")]
    Backend(#[source] BoxError),
    /// The stored data contradicts itself (e.g. events missing below a head).
    #[error("stored data is inconsistent: {0}")]
    Inconsistent(String),
    /// The operation was asked with arguments it refuses (e.g. an unknown release kind).
    #[error("{0}")]
    Invalid(String),
}

impl StorageError {
    pub fn backend(e: impl Into<BoxError>) -> Self {
        StorageError::Backend(e.into())
    }
}

/// An upload refused by the protocol under the locked head, or failed in storage.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A device as authentication sees it.
#[derive(Debug, Clone)]
pub struct Device {
    pub device_id: String,
    pub station_code: String,
    pub algorithm: String,
    pub public_key: String,
    pub revoked: bool,
}

/// Result of re-verifying one device's stored chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub device_id: String,
    pub log_id: String,
    pub events: u64,
    /// `None` if the chain verifies up to the recorded head.
    pub first_bad: Option<(u64, String)>,
}

/// One quarantined event, for the county admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEvent {
    pub station_code: String,
    pub log_id: String,
    pub seq: u64,
    pub kind: String,
    pub reason: String,
}

/// One entry of the 否定备案 register (cases whose latest state is `rejected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedCase {
    pub station_code: String,
    pub log_id: String,
    pub case_no: String,
    pub item_code: Option<String>,
    pub actor: Option<String>,
    pub device_time: String,
}

/// Devices, enrolment codes, nonces and refusals.
pub trait Devices: Clone + Send + Sync + 'static {
    fn find_device(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Option<Device>, StorageError>> + Send;
    /// `false` if the device used this nonce before (a replay).
    fn claim_nonce(
        &self,
        device_id: &str,
        nonce: &str,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Nonces only need to outlive the accepted clock skew (both directions).
    fn prune_nonces(
        &self,
        max_skew_ms: i64,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
    /// Best effort; never fails the request being refused.
    fn log_refusal(
        &self,
        device_id: Option<&str>,
        code: &str,
        detail: &str,
    ) -> impl Future<Output = ()> + Send;
    /// A one-time enrolment code for a station, valid `ttl_hours`; only its
    /// hash is stored.
    fn issue_enrol_code(
        &self,
        station_code: &str,
        ttl_hours: i64,
    ) -> impl Future<Output = Result<String, StorageError>> + Send;
    /// Redeem the device's code and register the device, atomically.
    /// Returns its station, or `None` if the code is unknown, used or expired.
    fn enrol(
        &self,
        device: &NewDevice,
    ) -> impl Future<Output = Result<Option<String>, StorageError>> + Send;
    /// `false` if there is no such device.
    fn revoke(&self, device_id: &str) -> impl Future<Output = Result<bool, StorageError>> + Send;
}

/// A stored batch, and its validation findings when it was projected in
/// the append's own transaction.
#[derive(Debug)]
pub struct Appended {
    pub accepted: Accepted,
    /// `None`: not projected yet; [`Projections::project`] catches up.
    pub quarantined: Option<Vec<QuarantineNotice>>,
}

/// The devices' hash-chained event logs.
pub trait EventLog: Clone + Send + Sync + 'static {
    /// Where the county's copy of the device's log ends.
    fn head(&self, device_id: &str) -> impl Future<Output = Result<Head, StorageError>> + Send;
    /// Store a batch atomically, in one transaction with the device's head
    /// locked: [`crate::protocol::upload`] decides (replay, append, or a
    /// refusal); appended events and the new head are committed before this
    /// returns. A backend may project the batch in the same transaction
    /// when the device's projection is caught up, never letting a failed
    /// projection undo the append.
    fn append(
        &self,
        device_id: &str,
        batch: CheckedBatch<'_>,
    ) -> impl Future<Output = Result<Appended, AppendError>> + Send;
    /// Re-verify every device's stored chain from genesis.
    fn verify_chains(&self) -> impl Future<Output = Result<Vec<ChainReport>, StorageError>> + Send;
}

/// What committed events project to: cases, the 否定备案 register, quarantine.
pub trait Projections: Clone + Send + Sync + 'static {
    /// Validate and project a device's committed but not yet projected
    /// events (after an upload that could not project them itself, or a
    /// crash; a bad event never blocks the upload path). Returns the events
    /// quarantined by this run.
    fn project(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Vec<QuarantineNotice>, StorageError>> + Send;
    /// Drop every projection and project all stored events again from
    /// seq 1 (the `reproject` command); returns how many were quarantined.
    fn reproject(&self) -> impl Future<Output = Result<usize, StorageError>> + Send;
    /// Catch up every device (after a crash between commit and projection);
    /// returns how many events were quarantined.
    fn project_all(&self) -> impl Future<Output = Result<usize, StorageError>> + Send;
    fn list_quarantine(
        &self,
    ) -> impl Future<Output = Result<Vec<QuarantinedEvent>, StorageError>> + Send;
    /// The 否定备案 register: cases whose latest state is `rejected`.
    fn rejection_register(
        &self,
    ) -> impl Future<Output = Result<Vec<RejectedCase>, StorageError>> + Send;
}

/// Immutable, signed reference-data releases.
pub trait Releases: Clone + Send + Sync + 'static {
    /// Publish `content` as the next version of `kind`, signed with `key`.
    fn publish(
        &self,
        key: &SecretKey,
        kind: &str,
        content: &[u8],
    ) -> impl Future<Output = Result<ReleaseManifest, StorageError>> + Send;
    /// The newest release of each kind.
    fn latest_releases(
        &self,
    ) -> impl Future<Output = Result<Vec<ReleaseManifest>, StorageError>> + Send;
    fn release_content(
        &self,
        kind: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;
}

/// Everything the server needs; implemented for any type that has them all.
pub trait Storage:
    Devices + EventLog + Projections + Releases + Admin + Console + Oversight + Staging + Stations
{
}

impl<T> Storage for T where
    T: Devices
        + EventLog
        + Projections
        + Releases
        + Admin
        + Console
        + Oversight
        + Staging
        + Stations
{
}

/// A release file to stage (see `console::releases`).
#[derive(Debug, Clone, Copy)]
pub struct NewUpload<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub problem_zh: Option<&'a str>,
    pub against_version: Option<&'a str>,
}

/// A staged release file, as listed (content apart).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UploadRow {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub problem_zh: Option<String>,
    pub against_version: Option<String>,
    pub login: String,
    pub uploaded_at: String,
    pub published_version: Option<String>,
    pub published_at: Option<String>,
}

/// Per station log, the release versions it has applied (`station_facts`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StationVersions {
    pub log_id: String,
    pub station_code: String,
    pub station_name: Option<String>,
    pub catalog_version: Option<String>,
    pub templates_version: Option<String>,
    pub calendar_version: Option<String>,
    pub last_device_time: Option<String>,
}

/// Release files staged in the console before they are published.
pub trait Staging: Clone + Send + Sync + 'static {
    /// Stores the upload and its audit line in one transaction; its id.
    fn stage_upload(
        &self,
        upload: NewUpload<'_>,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<i64, StorageError>> + Send;
    fn staged_upload(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<(UploadRow, Vec<u8>)>, StorageError>> + Send;
    /// Newest first, and how many there are.
    fn staged_uploads(
        &self,
        limit: i64,
        offset: i64,
    ) -> impl Future<Output = Result<(Vec<UploadRow>, i64), StorageError>> + Send;
    /// Marks a staged upload that passed its check as published as
    /// `version`, with its audit line, in one transaction; false when it
    /// was already published or had failed its check.
    fn mark_published(
        &self,
        id: i64,
        version: &str,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    fn station_versions(
        &self,
    ) -> impl Future<Output = Result<Vec<StationVersions>, StorageError>> + Send;
}

/// A device as the administrator lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub device_id: String,
    pub station_code: String,
    pub label: String,
    pub log_id: Option<String>,
    pub head_seq: u64,
    pub revoked: bool,
    pub enrolled_at: String,
    pub last_upload_at: Option<String>,
}

/// What a replay of the administration log changed in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub entries: usize,
    pub devices_restored: u64,
    pub codes_restored: u64,
    pub revocations_restored: u64,
    pub releases_restored: u64,
}

/// The administrator's tools, and the replay of the administration log
/// ([`crate::adminlog`]) that makes them survive a restore of the database.
pub trait Admin: Clone + Send + Sync + 'static {
    /// Applies every entry (idempotent): what the database forgot is
    /// restored, what it knows is left as it is.
    fn replay(
        &self,
        entries: &[crate::adminlog::Entry],
    ) -> impl Future<Output = Result<ReplayReport, StorageError>> + Send;
    fn list_devices(&self) -> impl Future<Output = Result<Vec<DeviceRow>, StorageError>> + Send;
    /// `false` if there is no such device.
    fn unrevoke(&self, device_id: &str) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Sets the county's copy of a device's log aside (its events kept
    /// under `<log_id>#reset-<ms>`) so the station uploads its log again,
    /// e.g. after the station was restored from its own old backup (a
    /// fork). Returns (old log id, archived as), `None` if the device has
    /// no log yet; an unknown device is an error.
    fn reset_log(
        &self,
        device_id: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<Option<(String, String)>, StorageError>> + Send;
}

/// A county staff account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: String,
}

/// A live session's stored half (hashes only) and its staff member.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub staff: StaffRecord,
    pub csrf_hash: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// One line of the county audit log, to append.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    pub staff_id: Option<i64>,
    pub login: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
    pub address: &'a str,
}

/// One line of the county audit log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub staff_id: Option<i64>,
    pub login: String,
    pub action: String,
    pub detail: String,
    pub address: String,
}

/// A change of a staff account (what is `None` stays).
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    pub name: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

/// Per station, what the 总览 is computed from (`console::overview` decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationFigures {
    pub station_code: String,
    pub station_name: Option<String>,
    pub at_risk_days: Option<i64>,
    pub catalog_version: Option<String>,
    /// The program version the station last reported.
    pub app_version: Option<String>,
    /// Last authenticated request or upload of any of its devices, `None` if never.
    pub last_contact: Option<String>,
    pub last_contact_ms: Option<i64>,
    pub devices: i64,
    pub revoked_devices: i64,
    /// Stored events not yet projected.
    pub backlog: i64,
    pub quarantined: i64,
    pub today: PeriodCounts,
    pub month: PeriodCounts,
    /// The earliest running deadline of the open cases (the county's
    /// share of the deadline board): (date, how many cases).
    pub open_deadlines: Vec<(chrono::NaiveDate, i64)>,
}

/// Counts over cases received in a period (the station's rule for 好差评).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeriodCounts {
    pub cases: i64,
    pub rejections: i64,
    /// Cases with a request or a paper form.
    pub evaluated: i64,
    /// Requests made by the serving clerk.
    pub requested: i64,
    /// The applicant's answers (screen and paper).
    pub answered: i64,
    pub defaulted: i64,
    /// Left by the clerk's password (counted with the defaults).
    pub unanswered: i64,
    /// Answers at a level that counted as good on the station's scale.
    pub good: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
}

impl std::ops::AddAssign<&PeriodCounts> for PeriodCounts {
    fn add_assign(&mut self, b: &PeriodCounts) {
        self.cases += b.cases;
        self.rejections += b.rejections;
        self.evaluated += b.evaluated;
        self.requested += b.requested;
        self.answered += b.answered;
        self.defaulted += b.defaulted;
        self.unanswered += b.unanswered;
        self.good += b.good;
        self.satisfied += b.satisfied;
        self.basically_satisfied += b.basically_satisfied;
        self.dissatisfied += b.dissatisfied;
    }
}

/// Staff accounts, sessions, the audit log and the console's reads.
pub trait Console: Clone + Send + Sync + 'static {
    /// Adds an account with its audit line, in one transaction; `None` if
    /// the login name is taken.
    fn add_staff(
        &self,
        login: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<Option<i64>, StorageError>> + Send;
    fn find_staff(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<StaffRecord>, StorageError>> + Send;
    fn staff_by_id(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<StaffRecord>, StorageError>> + Send;
    fn list_staff(&self) -> impl Future<Output = Result<Vec<StaffRecord>, StorageError>> + Send;
    /// Changes an account with its audit line; a disabled account or a new
    /// password ends its sessions. `false` if there is no such account.
    fn change_staff(
        &self,
        id: i64,
        change: &StaffChange,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    fn login_failures(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<crate::console::rules::Failures>, StorageError>> + Send;
    fn put_login_failures(
        &self,
        login: &str,
        f: crate::console::rules::Failures,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn clear_login_failures(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn create_session(
        &self,
        token_hash: &str,
        csrf_hash: &str,
        staff_id: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StorageError>> + Send;
    fn touch_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn end_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn audit(&self, entry: NewAudit<'_>) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Newest first; and the total count.
    fn audit_log(
        &self,
        limit: i64,
        offset: i64,
    ) -> impl Future<Output = Result<(Vec<AuditRow>, i64), StorageError>> + Send;
    /// The overview's inputs, per station, for `today` and its month.
    fn station_figures(
        &self,
        today: chrono::NaiveDate,
        month_start: chrono::NaiveDate,
    ) -> impl Future<Output = Result<Vec<StationFigures>, StorageError>> + Send;
    /// The 好差评 pages' inputs over the cases received `from`..=`to`; at
    /// most `bad_limit` bad answers, newest first.
    fn evaluation_facts(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        bad_limit: i64,
    ) -> impl Future<Output = Result<EvaluationFacts, StorageError>> + Send;
}

/// Cases received in a period, counted by everything the 好差评 figures
/// split them by (one row per combination, with how many cases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationCount {
    pub station_code: String,
    /// 首办's staff number.
    pub handler: Option<String>,
    pub item_code: Option<String>,
    /// None: the case has no evaluation record.
    pub status: Option<String>,
    pub channel: Option<String>,
    pub level: Option<String>,
    pub good: Option<bool>,
    /// The serving clerk asked for it (a paper form alone was not asked).
    pub requested: bool,
    pub cases: i64,
}

/// An answer at a level that was not good, with what the applicant said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadAnswer {
    pub station_code: String,
    pub case_no: String,
    pub handler: Option<String>,
    pub item_code: Option<String>,
    pub channel: Option<String>,
    pub level: Option<String>,
    /// The fixed reasons chosen (stored as a JSON list).
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub answered_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationFacts {
    pub counts: Vec<EvaluationCount>,
    /// Each station's name as its newest log says.
    pub station_names: std::collections::BTreeMap<String, String>,
    pub bad: Vec<BadAnswer>,
    /// All bad answers of the period (`bad` holds the newest of them).
    pub bad_total: i64,
}

/// The oversight pages' records: the 否定备案 register with its reviews
/// and notices, the cases whose deadlines run close, and the 挂牌督办 flags.
pub trait Oversight: Clone + Send + Sync + 'static {
    /// The filings decided in the query's period (newest first, paged), with
    /// what the page shows beside them.
    fn filings(
        &self,
        q: &FilingQuery,
    ) -> impl Future<Output = Result<FilingFacts, StorageError>> + Send;
    /// Records a review of the filing `(log_id, seq)` with its audit line, in
    /// one transaction; `false` if there is no such filing.
    fn review_filing(
        &self,
        review: &NewReview<'_>,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// One case with its history, notices, 好差评 and flag (its station's
    /// newest log's, if two logs hold the number).
    fn case_detail(
        &self,
        station: &str,
        case_no: &str,
    ) -> impl Future<Output = Result<Option<CaseDetail>, StorageError>> + Send;
    /// Each station's `deadline.at_risk_days`, where its events set it.
    fn at_risk_settings(
        &self,
    ) -> impl Future<Output = Result<std::collections::BTreeMap<String, i64>, StorageError>> + Send;
    /// Open cases whose earliest running deadline falls before `cutoff`, and
    /// every case with an open flag.
    fn deadline_cases(
        &self,
        cutoff: chrono::NaiveDate,
    ) -> impl Future<Output = Result<DeadlineFacts, StorageError>> + Send;
    /// The open flags of one station (all stations: `None`).
    fn open_flags(
        &self,
        station: Option<&str>,
    ) -> impl Future<Output = Result<Vec<FlagRecord>, StorageError>> + Send;
    /// Flags a case with its audit line, in one transaction.
    fn flag_case(
        &self,
        flag: &NewFlag<'_>,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<FlagOutcome, StorageError>> + Send;
    /// Lifts an open flag with its audit line; `false` if it is not open.
    fn lift_flag(
        &self,
        id: i64,
        staff_id: i64,
        note: &str,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingQuery {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub station: Option<String>,
    /// `compliant`, `doubtful`, `unreviewed`, or any.
    pub verdict: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// At most this many withdrawals and terminations are listed.
    pub closings_limit: i64,
}

/// A 否定备案 filing (or a withdrawal/termination) with its case's facts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FilingRecord {
    pub log_id: String,
    pub seq: i64,
    pub station_code: String,
    pub case_no: String,
    pub kind: String,
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub proposed_by: Option<String>,
    pub approved_by: Option<String>,
    pub decided_on: Option<chrono::NaiveDate>,
    pub device_time: String,
    pub item_code: Option<String>,
    pub handler: Option<String>,
    pub applicant_masked: Option<String>,
    pub applicant_id_masked: Option<String>,
    /// The latest review, if any, and how many there were.
    pub review: Option<ReviewRecord>,
    pub reviews: i64,
    pub notices: Vec<NoticeRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewRecord {
    pub verdict: String,
    pub comment: String,
    pub reviewer_login: String,
    pub reviewer_name: String,
    pub reviewed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoticeRecord {
    pub doc_no: String,
    pub kind: Option<String>,
    pub issued_by: Option<String>,
    pub issued_at: Option<String>,
    pub template_version: Option<String>,
    pub pdf_sha256: Option<String>,
    pub prints: i64,
    pub reprints: i64,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
}

/// How many cases a clerk ended each way in the period (refusals,
/// withdrawals, terminations), by the kind of the closing event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingCount {
    pub station_code: String,
    pub actor: Option<String>,
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingFacts {
    /// The page of filings asked for.
    pub filings: Vec<FilingRecord>,
    /// Filings matching the query (all pages).
    pub total: i64,
    /// Per station: (verdict or None for unreviewed, count) over the period.
    pub verdicts: Vec<(String, Option<String>, i64)>,
    pub per_clerk: Vec<ClosingCount>,
    /// Withdrawals and terminations of the period, newest first.
    pub closings: Vec<FilingRecord>,
    pub closings_total: i64,
    pub station_names: std::collections::BTreeMap<String, String>,
}

pub struct NewReview<'a> {
    pub log_id: &'a str,
    pub seq: i64,
    pub verdict: &'a str,
    pub comment: &'a str,
    pub staff_id: i64,
}

/// An open case as the 时限督办 page reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub station_code: String,
    pub case_no: String,
    pub state: String,
    pub item_code: Option<String>,
    pub handler: Option<String>,
    pub applicant_masked: Option<String>,
    pub received_on: Option<chrono::NaiveDate>,
    pub promised_due: Option<chrono::NaiveDate>,
    pub statutory_due: Option<chrono::NaiveDate>,
    pub supplement_due: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineFacts {
    pub cases: Vec<OpenCase>,
    /// Each station's `deadline.at_risk_days`, where its events set it.
    pub at_risk_days: std::collections::BTreeMap<String, i64>,
    pub station_names: std::collections::BTreeMap<String, String>,
}

/// A 挂牌督办 flag with whether its station has reported receiving it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlagRecord {
    pub id: i64,
    pub station_code: String,
    pub case_no: String,
    pub note: String,
    pub flagged_by: String,
    pub flagged_at: String,
    pub flagged_at_ms: i64,
    /// The station's time of receipt (its `supervision.received` event).
    pub received_at: Option<String>,
}

pub struct NewFlag<'a> {
    pub station_code: &'a str,
    pub case_no: &'a str,
    pub note: &'a str,
    pub staff_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOutcome {
    Flagged(i64),
    /// The county has no such case of that station.
    NoSuchCase,
    /// The case already has an open flag.
    AlreadyFlagged,
}

/// A case as the county holds it (applicant masked), with its history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseDetail {
    pub station_code: String,
    pub log_id: String,
    pub case_no: String,
    pub state: String,
    pub item_code: Option<String>,
    pub first_contact: Option<String>,
    pub handler: Option<String>,
    pub applicant_masked: Option<String>,
    pub applicant_id_masked: Option<String>,
    pub received_on: Option<chrono::NaiveDate>,
    pub onetime_due: Option<chrono::NaiveDate>,
    pub accepted_on: Option<chrono::NaiveDate>,
    pub promised_due: Option<chrono::NaiveDate>,
    pub statutory_due: Option<chrono::NaiveDate>,
    pub supplement_due: Option<chrono::NaiveDate>,
    pub closed_on: Option<chrono::NaiveDate>,
    pub catalog_version: Option<String>,
    pub history: Vec<HistoryStep>,
    pub notices: Vec<NoticeRecord>,
    /// status, channel, level, reasons (JSON list), comment.
    pub evaluation: Option<EvaluationRecord>,
    pub flag: Option<FlagRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryStep {
    pub seq: i64,
    pub action: String,
    pub state: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub device_time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationRecord {
    pub status: String,
    pub channel: Option<String>,
    pub level: Option<String>,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
}

/// One device as the 站点与设备 page lists it, with its station's facts
/// (`console::stations` decides what they mean).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationDevice {
    pub station_code: String,
    pub station_name: Option<String>,
    pub device_id: String,
    pub label: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
    /// Last authenticated request or upload.
    pub last_contact: Option<String>,
    pub last_contact_ms: Option<i64>,
    pub last_upload_at: Option<String>,
    pub log_id: Option<String>,
    pub head_seq: i64,
    pub projected_seq: i64,
    /// Where the station's own log ended at its last upload that said so.
    pub station_head_seq: Option<i64>,
    pub catalog_version: Option<String>,
    pub templates_version: Option<String>,
    pub calendar_version: Option<String>,
    /// The program version the station last reported (`station.software`).
    pub app_version: Option<String>,
    pub last_device_time: Option<String>,
    pub quarantined: i64,
    /// Uploads refused as a fork, a log mismatch or a broken chain (409/422).
    pub fork_refusals: i64,
    /// Of those, refused after the device's last accepted upload.
    pub fork_refusals_since_upload: i64,
    pub last_fork_refusal: Option<String>,
    pub last_verification: Option<ChainVerification>,
}

/// A stored result of re-verifying one log (`POST chains/verify` or the
/// `verify-chains` command).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainVerification {
    pub verified_at: String,
    pub log_id: String,
    pub events: i64,
    pub bad_seq: Option<i64>,
    pub bad_reason: Option<String>,
    pub verified_by: String,
}

/// One quarantined event with its station and when it was set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub station_code: String,
    pub log_id: String,
    pub seq: i64,
    pub kind: String,
    pub reason: String,
    pub quarantined_at: String,
}

/// The 站点与设备 page's storage: the administrator's acts, each with its
/// staff audit line in the same transaction, and the page's reads.
pub trait Stations: Clone + Send + Sync + 'static {
    /// A one-time enrolment code (only its hash stored), with the audit line.
    fn issue_code_audited(
        &self,
        station_code: &str,
        ttl_hours: i64,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<String, StorageError>> + Send;
    /// `false` (and no audit line) if there is no such device.
    fn set_revoked_audited(
        &self,
        device_id: &str,
        revoked: bool,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// [`Admin::reset_log`] with the audit line; `Ok(None)` if the device
    /// has no log yet, an unknown device is [`StorageError::Invalid`].
    fn reset_log_audited(
        &self,
        device_id: &str,
        at_ms: i64,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<Option<(String, String)>, StorageError>> + Send;
    /// Stores one verification run's reports, with the audit line.
    fn store_verification(
        &self,
        reports: &[ChainReport],
        verified_by: &str,
        audit: NewAudit<'_>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn station_devices(
        &self,
    ) -> impl Future<Output = Result<Vec<StationDevice>, StorageError>> + Send;
    /// Newest first, of one station or all; and the total.
    fn quarantine_page(
        &self,
        station_code: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> impl Future<Output = Result<(Vec<QuarantineRow>, i64), StorageError>> + Send;
}
