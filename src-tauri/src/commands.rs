//! The commands the window calls. Each one is a translation: arguments from
//! JSON, one engine call, the result (or the engine's Chinese error) back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use tauri::{Emitter, Manager, Runtime, State};
use yichuang_engine::accounts::{Account, AccountChange, NewAccount, Session};
use yichuang_engine::catalog::ServiceItem;
use yichuang_engine::clerk::Clerk;
use yichuang_engine::deadline::DeadlineRow;
use yichuang_engine::evaluation::{
    CaseEvaluation, EvaluationStats, PaperForm, Scale, window_screen,
};
use yichuang_engine::evaluations::ScreenRequest;
use yichuang_engine::filing::RejectionFiling;
use yichuang_engine::ledger::LedgerTerms;
use yichuang_engine::ledger_export::LedgerExport;
use yichuang_engine::notice::NoticeRecord;
use yichuang_engine::privacy::IdReveal;
use yichuang_engine::search::CaseSummary;
use yichuang_engine::setup::{CalendarYearStatus, CatalogOverview, StationSetup};
use yichuang_engine::vocabulary::{Vocabulary, vocabulary};
use yichuang_engine::{CaseState, CaseView, Engine, Error, MaterialStatus, NewCase, NoticeKind};

use crate::AppState;
use crate::print;
use crate::sync_task::{self, SyncStatus, SyncTask};

/// An error as the window shows it: `message` in Chinese for the clerk,
/// `detail` in English for logs, `code` naming the refused rule if any.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CmdError {
    pub message: String,
    pub detail: String,
    pub code: Option<String>,
}

impl From<Error> for CmdError {
    fn from(e: Error) -> CmdError {
        let code = match &e {
            Error::Rule { rule, .. } => Some((*rule).to_owned()),
            Error::Invalid { field, .. } => Some(format!("invalid:{field}")),
            Error::AuthFailed(_) => Some("auth_failed".into()),
            Error::NotLoggedIn => Some("not_logged_in".into()),
            Error::Locked { .. } => Some("locked_out".into()),
            Error::SessionLocked { .. } => Some("session_locked".into()),
            Error::PasswordChangeRequired(_) => Some("password_change_required".into()),
            Error::AlreadyInitialised => Some("already_set_up".into()),
            Error::AtRest { what, .. } => Some(format!("at_rest:{what}")),
            Error::Backup { what, .. } => Some(format!("backup:{what}")),
            Error::Forbidden { .. } => Some("forbidden".into()),
            Error::IllegalTransition { .. } => Some("illegal_transition".into()),
            _ => None,
        };
        CmdError {
            message: e.user_message(),
            detail: e.to_string(),
            code,
        }
    }
}

impl CmdError {
    pub(crate) fn coded(
        code: &str,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> CmdError {
        CmdError {
            message: message.into(),
            detail: detail.into(),
            code: Some(code.into()),
        }
    }

    pub(crate) fn shell(message: impl Into<String>, detail: impl Into<String>) -> CmdError {
        CmdError {
            message: message.into(),
            detail: detail.into(),
            code: None,
        }
    }
}

pub(crate) type Res<T> = Result<T, CmdError>;

pub(crate) fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        app_info,
        meta,
        session,
        unlock_station,
        login,
        logout,
        lock_counter,
        change_password,
        setup_station,
        accounts,
        add_account,
        update_account,
        disable_clerk,
        enable_clerk,
        reset_password,
        lift_lockout,
        validate_id,
        search_items,
        item,
        register_case,
        get_case,
        reveal_id,
        id_reveals,
        update_materials,
        materials_returned,
        accept,
        request_materials,
        accept_with_commitment,
        propose_rejection,
        withdraw,
        forward,
        supplement,
        start_case,
        complete_case,
        approve_rejection,
        return_rejection,
        cases_in_state,
        search_cases,
        worklist,
        deadlines,
        print_notice,
        reprint_notice,
        notices_for_case,
        void_notice,
        preview_notice,
        send_to_printer,
        printers,
        request_evaluation,
        case_evaluation,
        enter_paper_evaluation,
        evaluation_scale,
        applicant_request,
        applicant_answer,
        applicant_leave,
        applicant_close,
        evaluation_stats,
        rejection_filings,
        ledger_form,
        export_ledger,
        settings,
        changeable_settings,
        set_setting,
        sync_status,
        sync_now,
        enroll,
        fonts,
        verify_log,
        catalog_overview,
        calendar_status,
        import_calendar,
        crate::backup_commands::backup_status,
        crate::backup_commands::back_up_now,
        crate::backup_commands::set_backup_passphrase,
        crate::backup_commands::restore_status,
        crate::backup_commands::check_restore_now,
        crate::backup_commands::find_backups,
        crate::backup_commands::restore_station,
        ui_ready,
    ]
}

fn actor(e: &Engine) -> Res<Clerk> {
    Ok(e.current_clerk()?)
}

/// One engine call as the clerk logged in at this counter. Every command
/// that touches a case, a person or a setting goes through here: nothing
/// without a logged-in, unlocked clerk (the engine checks the role).
pub(crate) fn as_clerk<T>(
    state: &AppState,
    f: impl FnOnce(&Engine, &Clerk) -> yichuang_engine::Result<T>,
) -> Res<T> {
    let e = state.engine()?;
    let a = actor(&e)?;
    Ok(f(&e, &a)?)
}

/// A case as the window shows it: the ID number masked (the engine's
/// default view; `reveal_id` is the recorded exception).
fn shown(v: yichuang_engine::Result<CaseView>) -> yichuang_engine::Result<CaseView> {
    v.map(CaseView::masked)
}

// ---- station, clerks ------------------------------------------------------

#[derive(Serialize)]
pub struct AppInfo {
    station: Option<yichuang_engine::StationInfo>,
    /// No station or no administrator yet: the window opens the set-up wizard.
    needs_setup: bool,
    /// The database is encrypted and waits for the station passphrase.
    store_locked: bool,
    /// The database is encrypted (false: the demo, or a station from before).
    encrypted: bool,
    /// The OS key store can hold a new station's key.
    keystore_available: bool,
    /// A restored station waiting for the county's head (no log-in meanwhile).
    restore_check: Option<yichuang_engine::restore::RestoreCheck>,
    db_path: String,
    notices_dir: String,
    demo: bool,
    today: NaiveDate,
    version: &'static str,
}

#[tauri::command]
async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    let (station, needs_setup, encrypted, restore_check) = match state.engine() {
        Ok(e) => (
            e.station().ok().cloned(),
            e.needs_setup()?,
            !matches!(
                yichuang_engine::at_rest::custody(e.path())?,
                yichuang_engine::at_rest::Custody::Plain
            ),
            e.restore_status()?,
        ),
        // Not open: locked (the passphrase first) or new (the wizard).
        Err(_) => (None, !state.store_locked(), state.store_locked(), None),
    };
    Ok(AppInfo {
        station,
        needs_setup,
        store_locked: state.store_locked(),
        encrypted,
        keystore_available: state.keystore(),
        restore_check,
        db_path: state.db().display().to_string(),
        notices_dir: state.notices_dir.display().to_string(),
        demo: state.demo,
        today: state.clock().today(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Opens an encrypted station with the station passphrase (the engine
/// unseals the key; a wrong one changes nothing) and starts its sync.
#[tauri::command]
async fn unlock_station<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: String,
) -> Res<()> {
    if !state.store_locked() {
        return Ok(());
    }
    let key = yichuang_engine::at_rest::unlock(state.db(), Some(&passphrase))?;
    let engine = Engine::open_with_key(state.db(), &key)?.with_clock(state.clock());
    state.install(engine, Some(key));
    start_sync_now(&app, &state);
    Ok(())
}

/// Starts the background sync and the backup schedule once the station is open.
pub(crate) fn start_sync_now<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState) {
    let policy = state
        .engine()
        .ok()
        .and_then(|e| e.sync_policy(None).ok())
        .unwrap_or_default();
    if let Err(e) = state.start_sync(policy, crate::reporter(app.clone())) {
        eprintln!("yichuang-desktop: {}", e.detail);
    }
    if let Err(e) = state.start_backups(crate::backup_reporter(app.clone())) {
        eprintln!("yichuang-desktop: {}", e.detail);
    }
}

/// Labels, fixed lists, rule constants and the settings registry, from the
/// engine, so the window never restates them.
#[tauri::command]
async fn meta() -> Res<Vocabulary> {
    Ok(vocabulary())
}

/// The counter's session, or `None` when nobody is logged in.
#[tauri::command]
async fn session(state: State<'_, AppState>) -> Res<Option<Session>> {
    match state.engine() {
        Ok(e) => Ok(e.session()?),
        // No database open yet: nobody is at the counter.
        Err(_) => Ok(None),
    }
}

#[tauri::command]
async fn login(state: State<'_, AppState>, staff_no: String, password: String) -> Res<Session> {
    let e = state.engine()?;
    e.login(&staff_no, &password)?;
    e.session()?.ok_or_else(|| Error::NotLoggedIn.into())
}

#[tauri::command]
async fn logout(state: State<'_, AppState>) -> Res<()> {
    let e = state.engine()?;
    match e.logout() {
        // Logging out twice is not worth an error dialog.
        Ok(()) | Err(Error::NotLoggedIn) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// The window's idle timer (or the clerk) locks the counter; the clerk's
/// password opens it again (`login`).
#[tauri::command]
async fn lock_counter(state: State<'_, AppState>) -> Res<()> {
    Ok(state.engine()?.lock_counter()?)
}

/// A clerk changes their own password (also the forced change after a reset).
#[tauri::command]
async fn change_password(
    state: State<'_, AppState>,
    staff_no: String,
    old: String,
    new: String,
) -> Res<Option<Session>> {
    let e = state.engine()?;
    e.change_password(&staff_no, &old, &new)?;
    Ok(e.session()?)
}

#[derive(Serialize)]
pub struct SetupResult {
    session: Session,
    /// Set when the optional county enrolment failed (the station works
    /// offline; 设置 offers the enrolment again).
    enrol_error: Option<String>,
}

/// The first-run wizard: creates the encrypted database (its key in the OS
/// key store, or sealed by the station passphrase) on a new install; the
/// engine refuses it once the station is set up.
#[tauri::command]
async fn setup_station<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    setup: StationSetup,
    protection: Option<String>,
    passphrase: Option<String>,
    county_url: Option<String>,
    enrol_code: Option<String>,
) -> Res<SetupResult> {
    use yichuang_engine::at_rest::{ProtectWith, protect_new};
    let created = if state.engine().is_err() && !state.store_locked() {
        let with = match (protection.as_deref(), passphrase.as_deref()) {
            (Some("keystore"), _) => ProtectWith::OsKeyStore,
            (_, Some(p)) => ProtectWith::Passphrase(p),
            _ => {
                return Err(CmdError::coded(
                    "invalid:passphrase",
                    "请设置站点口令，或选择系统密钥库",
                    "setup_station: no protection chosen",
                ));
            }
        };
        // Every field is checked before the database file is created.
        setup.check()?;
        let key = protect_new(state.db(), with)?;
        let engine = Engine::open_with_key(state.db(), &key)?.with_clock(state.clock());
        state.install(engine, Some(key));
        true
    } else {
        false
    };
    let session = {
        let mut e = state.engine()?;
        e.set_up_station(&setup)?
    };
    if created {
        start_sync_now(&app, &state);
    }
    let mut enrol_error = None;
    if let (Some(url), Some(code)) = (
        county_url.filter(|u| !u.trim().is_empty()),
        enrol_code.filter(|c| !c.trim().is_empty()),
    ) {
        let e = state.engine()?;
        if let Err(err) = e.enroll(&session.clerk, &url, &code) {
            enrol_error = Some(err.user_message());
        } else if let Some(t) = state.sync_task() {
            t.sync_soon();
        }
    }
    Ok(SetupResult {
        session,
        enrol_error,
    })
}

// ---- accounts (administrators; the engine checks) -------------------------------

#[tauri::command]
async fn accounts(state: State<'_, AppState>) -> Res<Vec<Account>> {
    as_clerk(&state, |e, a| e.accounts(a))
}

#[tauri::command]
async fn add_account(state: State<'_, AppState>, account: NewAccount) -> Res<Vec<Account>> {
    as_clerk(&state, |e, a| {
        e.add_account(Some(a), &account)?;
        e.accounts(a)
    })
}

#[tauri::command]
async fn update_account(
    state: State<'_, AppState>,
    staff_no: String,
    change: AccountChange,
) -> Res<Account> {
    as_clerk(&state, |e, a| e.update_account(a, &staff_no, &change))
}

#[tauri::command]
async fn disable_clerk(
    state: State<'_, AppState>,
    staff_no: String,
    reason: String,
) -> Res<Account> {
    as_clerk(&state, |e, a| e.disable_clerk(a, &staff_no, &reason))
}

#[tauri::command]
async fn enable_clerk(
    state: State<'_, AppState>,
    staff_no: String,
    reason: String,
) -> Res<Account> {
    as_clerk(&state, |e, a| e.enable_clerk(a, &staff_no, &reason))
}

#[tauri::command]
async fn reset_password(
    state: State<'_, AppState>,
    staff_no: String,
    password: String,
) -> Res<Account> {
    as_clerk(&state, |e, a| e.reset_password(a, &staff_no, &password))
}

#[tauri::command]
async fn lift_lockout(state: State<'_, AppState>, staff_no: String) -> Res<Vec<Account>> {
    as_clerk(&state, |e, a| {
        e.lift_lockout(a, &staff_no)?;
        e.accounts(a)
    })
}

// ---- intake -----------------------------------------------------------------

#[derive(Serialize)]
pub struct IdCheck {
    ok: bool,
    normalized: Option<String>,
    birth_date: Option<NaiveDate>,
    message: Option<String>,
}

/// Live validation of 身份证号 (`resident_id`) or 统一社会信用代码 (`uscc`) by the engine.
#[tauri::command]
async fn validate_id(state: State<'_, AppState>, kind: String, value: String) -> Res<IdCheck> {
    let today = as_clerk(&state, |e, _| Ok(e.clock().today()))?;
    let res = match kind.as_str() {
        "resident_id" => {
            yichuang_engine::ids::validate_resident_id(&value, today).map(|(n, d)| (n, Some(d)))
        }
        "uscc" => yichuang_engine::ids::validate_uscc(&value).map(|n| (n, None)),
        // Other documents (passport, permits) have no checksum to verify.
        _ => Ok((value.trim().to_owned(), None)),
    };
    Ok(match res {
        Ok((n, d)) => IdCheck {
            ok: true,
            normalized: Some(n),
            birth_date: d,
            message: None,
        },
        Err(err) => IdCheck {
            ok: false,
            normalized: None,
            birth_date: None,
            message: Some(err.user_message()),
        },
    })
}

/// Items by name, code or 拼音首字母 (the engine's catalog search).
#[tauri::command]
async fn search_items(state: State<'_, AppState>, q: String) -> Res<Vec<ServiceItem>> {
    let cat = as_clerk(&state, |e, _| e.catalog())?;
    Ok(cat.search(&q).into_iter().take(30).cloned().collect())
}

#[tauri::command]
async fn item(state: State<'_, AppState>, code: String) -> Res<ServiceItem> {
    let cat = as_clerk(&state, |e, _| e.catalog())?;
    cat.item(&code).cloned().ok_or_else(|| {
        Error::NotFound {
            what: "item",
            key: code,
        }
        .into()
    })
}

#[tauri::command]
async fn register_case(state: State<'_, AppState>, input: NewCase) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.register_case(a, &input)))
}

#[tauri::command]
async fn get_case(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| e.case_for(a, &case_no))
}

/// 显示完整证件号: recorded by the engine (who, when, which case).
#[tauri::command]
async fn reveal_id(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| e.reveal_id(a, &case_no))
}

/// Who had the case's full ID number shown (leaders).
#[tauri::command]
async fn id_reveals(state: State<'_, AppState>, case_no: String) -> Res<Vec<IdReveal>> {
    as_clerk(&state, |e, a| e.id_reveals(a, &case_no))
}

#[tauri::command]
async fn update_materials(
    state: State<'_, AppState>,
    case_no: String,
    changes: BTreeMap<String, MaterialStatus>,
) -> Res<CaseView> {
    as_clerk(&state, |e, a| {
        shown(e.update_materials(a, &case_no, &changes))
    })
}

#[tauri::command]
async fn materials_returned(
    state: State<'_, AppState>,
    case_no: String,
    changes: BTreeMap<String, MaterialStatus>,
) -> Res<CaseView> {
    as_clerk(&state, |e, a| {
        shown(e.materials_returned(a, &case_no, &changes))
    })
}

// ---- decisions (only those in CaseView::outcomes succeed) ----------------------

#[tauri::command]
async fn accept(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.accept(a, &case_no)))
}

#[tauri::command]
async fn request_materials(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.request_materials(a, &case_no)))
}

#[tauri::command]
async fn accept_with_commitment(
    state: State<'_, AppState>,
    case_no: String,
    applicant_agrees: bool,
) -> Res<CaseView> {
    as_clerk(&state, |e, a| {
        shown(e.accept_with_commitment(a, &case_no, applicant_agrees))
    })
}

#[tauri::command]
async fn propose_rejection(
    state: State<'_, AppState>,
    case_no: String,
    reason: String,
    basis: String,
    competent_body: Option<String>,
) -> Res<CaseView> {
    as_clerk(&state, |e, a| {
        shown(e.propose_rejection_to(a, &case_no, &reason, &basis, competent_body.as_deref()))
    })
}

#[tauri::command]
async fn withdraw(state: State<'_, AppState>, case_no: String, reason: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.withdraw(a, &case_no, &reason)))
}

/// 收件转送: the item is decided by another body; the engine refuses it
/// where this station decides.
#[tauri::command]
async fn forward(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.forward(a, &case_no)))
}

#[tauri::command]
async fn supplement(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.supplement(a, &case_no)))
}

#[tauri::command]
async fn start_case(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.start(a, &case_no)))
}

#[tauri::command]
async fn complete_case(state: State<'_, AppState>, case_no: String) -> Res<CaseView> {
    as_clerk(&state, |e, a| shown(e.complete(a, &case_no)))
}

/// 否定备案: the leader types their own staff number and password at this PC.
#[tauri::command]
async fn approve_rejection(
    state: State<'_, AppState>,
    case_no: String,
    leader_staff_no: String,
    leader_password: String,
) -> Res<CaseView> {
    // The leader authenticates with their own password; a clerk must be at the counter.
    as_clerk(&state, |e, _| {
        shown(e.approve_rejection(&case_no, &leader_staff_no, &leader_password))
    })
}

#[tauri::command]
async fn return_rejection(
    state: State<'_, AppState>,
    case_no: String,
    leader_staff_no: String,
    leader_password: String,
    note: String,
) -> Res<CaseView> {
    as_clerk(&state, |e, _| {
        shown(e.return_rejection(&case_no, &leader_staff_no, &leader_password, &note))
    })
}

// ---- lists ------------------------------------------------------------------------

#[tauri::command]
async fn cases_in_state(
    state: State<'_, AppState>,
    case_state: CaseState,
    limit: Option<usize>,
) -> Res<Vec<CaseView>> {
    as_clerk(&state, |e, a| {
        Ok(e.cases_in_state(a, case_state, limit.unwrap_or(200))?
            .into_iter()
            .map(CaseView::masked)
            .collect())
    })
}

#[tauri::command]
async fn search_cases(
    state: State<'_, AppState>,
    q: String,
    limit: Option<usize>,
) -> Res<Vec<CaseSummary>> {
    as_clerk(&state, |e, a| e.search_cases(a, &q, limit.unwrap_or(100)))
}

/// 办件查询 before a query: today's cases and the clerk's open ones.
#[tauri::command]
async fn worklist(state: State<'_, AppState>) -> Res<Vec<CaseSummary>> {
    as_clerk(&state, |e, a| e.worklist(a, 200))
}

#[tauri::command]
async fn deadlines(state: State<'_, AppState>) -> Res<Vec<DeadlineRow>> {
    // The law's consequence of a lapsed acceptance review is recorded before
    // the board is read (行政许可法 §32: 即为受理), by the clerk who reads it.
    as_clerk(&state, |e, a| {
        e.record_lapsed_reviews(a)?;
        e.deadlines(e.at_risk_days()?)
    })
}

#[tauri::command]
async fn rejection_filings(state: State<'_, AppState>) -> Res<Vec<RejectionFiling>> {
    as_clerk(&state, |e, a| e.rejection_filings(a, 200))
}

// ---- notices and printing ----------------------------------------------------------

#[derive(Serialize)]
pub struct PrintedNotice {
    record: NoticeRecord,
    /// Which print of the record this file is (1 = original).
    n: i64,
    reprint: bool,
    path: String,
}

/// The file a print of a notice is saved as (ASCII, so every printer driver copes).
fn notice_file(state: &AppState, r: &NoticeRecord, n: i64) -> PathBuf {
    let case: String = r
        .case_no
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let suffix = if n > 1 {
        format!("-p{n}")
    } else {
        String::new()
    };
    state.notices_dir.join(format!(
        "{case}-{}-{}-{:04}{suffix}.pdf",
        r.kind.cli_name(),
        r.year,
        r.number
    ))
}

fn save_pdf(path: &PathBuf, bytes: &[u8]) -> Res<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            CmdError::shell(
                format!("无法创建文书目录 {}：{e}", dir.display()),
                e.to_string(),
            )
        })?;
        owner_only(dir);
    }
    std::fs::write(path, bytes).map_err(|e| {
        CmdError::shell(
            format!(
                "文书已登记，但 PDF 无法保存到 {}：{e}（可在办件中补打）",
                path.display()
            ),
            e.to_string(),
        )
    })
}

/// Prints hold personal data: only the user may list or read them.
#[cfg(unix)]
fn owner_only(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
        eprintln!("yichuang-desktop: cannot restrict {}: {e}", dir.display());
    }
}
#[cfg(not(unix))]
fn owner_only(_dir: &std::path::Path) {}

/// Saves print `n` of a notice where the window and the printer find it.
fn saved(
    state: &AppState,
    record: NoticeRecord,
    n: i64,
    reprint: bool,
    pdf: &[u8],
) -> Res<PrintedNotice> {
    let path = notice_file(state, &record, n);
    save_pdf(&path, pdf)?;
    Ok(PrintedNotice {
        n,
        reprint,
        path: path.display().to_string(),
        record: record.listed(),
    })
}

/// Issues the notice (number, snapshot, PDF — one engine transaction) and saves the PDF.
#[tauri::command]
async fn print_notice(
    state: State<'_, AppState>,
    case_no: String,
    kind: NoticeKind,
) -> Res<PrintedNotice> {
    let (record, pdf) = as_clerk(&state, |e, a| e.print_notice(a, &case_no, kind))?;
    saved(&state, record, 1, false, &pdf)
}

/// 补打: a new print of an existing record, marked as a reprint by the engine.
#[tauri::command]
async fn reprint_notice(state: State<'_, AppState>, doc_no: String) -> Res<PrintedNotice> {
    let e = state.engine()?;
    let (mark, pdf) = e.reprint_notice(&actor(&e)?, &doc_no)?;
    saved(&state, e.notice(&doc_no)?, mark.n, mark.reprint, &pdf)
}

#[tauri::command]
async fn notices_for_case(state: State<'_, AppState>, case_no: String) -> Res<Vec<NoticeRecord>> {
    as_clerk(&state, |e, _| listed(e.notices_for_case(&case_no)))
}

fn listed(
    v: yichuang_engine::Result<Vec<NoticeRecord>>,
) -> yichuang_engine::Result<Vec<NoticeRecord>> {
    v.map(|l| l.into_iter().map(NoticeRecord::listed).collect())
}

/// 作废: reason required; the record and its number stay.
#[tauri::command]
async fn void_notice(
    state: State<'_, AppState>,
    doc_no: String,
    reason: String,
) -> Res<Vec<NoticeRecord>> {
    as_clerk(&state, |e, a| {
        let r = e.void_notice(a, &doc_no, &reason)?;
        listed(e.notices_for_case(&r.case_no))
    })
}

/// The saved file of print `n` of a notice; the original is re-rendered byte
/// for byte by the engine if its file has gone missing.
fn existing_file(state: &AppState, doc_no: &str, n: Option<i64>) -> Res<PathBuf> {
    let e = state.engine()?;
    actor(&e)?;
    let r = e.notice(doc_no)?;
    let n = n.unwrap_or(1);
    let path = notice_file(state, &r, n);
    if !path.exists() {
        if n != 1 {
            return Err(CmdError::shell(
                format!("第 {n} 次打印的文件已不存在，请补打"),
                format!("missing {}", path.display()),
            ));
        }
        let pdf = e.rerender_notice(doc_no)?;
        save_pdf(&path, &pdf)?;
    }
    Ok(path)
}

#[tauri::command]
async fn preview_notice(
    state: State<'_, AppState>,
    doc_no: String,
    n: Option<i64>,
) -> Res<print::Preview> {
    let path = existing_file(&state, &doc_no, n)?;
    let work = state.notices_dir.join(".preview").join(format!(
        "{}-{}",
        std::process::id(),
        path.file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
    ));
    print::preview(&path, &work, 60).map_err(|m| CmdError::shell(m.clone(), m))
}

#[derive(Serialize)]
pub struct PrintResult {
    ok: bool,
    printer: Option<String>,
    message: String,
    path: String,
}

/// Sends a saved notice to the printer. A failure is an answer, not an error:
/// the notice record stays and the window offers 重试.
#[tauri::command]
async fn send_to_printer(
    state: State<'_, AppState>,
    doc_no: String,
    n: Option<i64>,
    printer: Option<String>,
) -> Res<PrintResult> {
    let path = existing_file(&state, &doc_no, n)?;
    let printer = match printer.filter(|p| !p.is_empty()) {
        Some(p) => Some(p),
        None => state
            .engine()?
            .setting("printer.default")?
            .filter(|p| !p.is_empty()),
    };
    let (ok, message) = match print::send(&path, printer.as_deref()) {
        Ok(m) => (
            true,
            if m.is_empty() {
                "已发送到打印机".into()
            } else {
                m
            },
        ),
        Err(m) => (false, m),
    };
    Ok(PrintResult {
        ok,
        printer,
        message,
        path: path.display().to_string(),
    })
}

#[tauri::command]
async fn printers() -> Res<print::PrinterList> {
    Ok(print::printers())
}

// ---- 好差评 -----------------------------------------------------------------------

/// The clerk asks the applicant to rate, on the applicant screen of their
/// window, which opens (or shows) itself. The clerk's window never answers.
#[tauri::command]
async fn request_evaluation<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    case_no: String,
) -> Res<CaseEvaluation> {
    let ev = as_clerk(&state, |e, a| {
        e.request_evaluation(a, &case_no, &window_screen(&a.window_no))
    })?;
    crate::applicant::show(&app);
    Ok(ev)
}

/// The evaluation of a case, for the clerk's status view (read only: it
/// cannot answer). Requests past their time become 默认 first, as on the
/// applicant screen: a screen closed with the app (or never shown) must not
/// leave a request waiting for ever.
#[tauri::command]
async fn case_evaluation(
    state: State<'_, AppState>,
    case_no: String,
) -> Res<Option<CaseEvaluation>> {
    as_clerk(&state, |e, _| {
        e.default_expired_evaluations()?;
        e.case_evaluation(&case_no)
    })
}

/// A paper form (流动测评) entered by the logged-in clerk; the engine refuses
/// whoever served the case.
#[tauri::command]
async fn enter_paper_evaluation(
    state: State<'_, AppState>,
    case_no: String,
    form: PaperForm,
) -> Res<CaseEvaluation> {
    as_clerk(&state, |e, a| e.enter_paper_evaluation(a, &case_no, &form))
}

/// The scale in force (county data; nothing personal).
#[tauri::command]
async fn evaluation_scale(state: State<'_, AppState>) -> Res<Scale> {
    Ok(state.engine()?.evaluation_scale()?)
}

/// A call of the applicant window, for the screen of the counter's logged-in
/// clerk. The clerk's own window is refused: it only asks.
fn as_applicant_screen<T, R: Runtime>(
    window: &tauri::Window<R>,
    state: &AppState,
    f: impl FnOnce(&Engine, &str) -> yichuang_engine::Result<T>,
) -> Res<T> {
    let screen = as_clerk(state, |_, a| Ok(window_screen(&a.window_no)))?;
    if window.label() != crate::applicant::APPLICANT_WINDOW {
        return Err(CmdError::coded(
            "applicant_window_only",
            "只有办事人评价屏可以作答，工作人员窗口不能代为评价",
            format!("applicant command from window {}", window.label()),
        ));
    }
    let e = state.engine()?;
    Ok(f(&e, &screen)?)
}

/// What the applicant screen shows; requests past their time become 默认 first.
#[tauri::command]
async fn applicant_request<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> Res<Option<ScreenRequest>> {
    as_applicant_screen(&window, &state, |e, screen| {
        e.default_expired_evaluations()?;
        e.screen_request(screen)
    })
}

#[tauri::command]
async fn applicant_answer<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
    case_no: String,
    level: String,
    reasons: Vec<String>,
    comment: String,
) -> Res<CaseEvaluation> {
    as_applicant_screen(&window, &state, |e, screen| {
        e.answer_on_screen(screen, &case_no, &level, &reasons, &comment)
    })
}

/// The serving clerk leaves the applicant screen with their password: 未作答.
#[tauri::command]
async fn applicant_leave<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
    case_no: String,
    staff_no: String,
    password: String,
) -> Res<CaseEvaluation> {
    as_applicant_screen(&window, &state, |e, screen| {
        e.leave_unanswered(screen, &case_no, &staff_no, &password)
    })
}

/// Hides the applicant window once nothing waits on its screen.
#[tauri::command]
async fn applicant_close<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> Res<bool> {
    let waiting = as_applicant_screen(&window, &state, |e, screen| {
        e.default_expired_evaluations()?;
        e.screen_request(screen)
    })?;
    if waiting.is_some() {
        return Ok(false);
    }
    crate::applicant::hide(window.app_handle());
    Ok(true)
}

#[tauri::command]
async fn evaluation_stats(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> Res<EvaluationStats> {
    as_clerk(&state, |e, a| e.evaluation_stats(a, from, to))
}

// ---- 台账 -------------------------------------------------------------------------

/// The event each step of an export sends to the window (`LedgerProgress`).
pub const LEDGER_PROGRESS: &str = "ledger-progress";

#[derive(Serialize)]
pub struct LedgerForm {
    /// What this clerk's export covers, as the engine decides it.
    #[serde(flatten)]
    terms: LedgerTerms,
    /// The folder the form proposes to save in (the user's documents).
    default_dir: String,
}

#[tauri::command]
async fn ledger_form(state: State<'_, AppState>) -> Res<LedgerForm> {
    let terms = as_clerk(&state, |e, a| Ok(e.ledger_terms(a)))?;
    let dir = directories::UserDirs::new()
        .and_then(|u| {
            u.document_dir()
                .map(Path::to_path_buf)
                .or_else(|| Some(u.home_dir().to_path_buf()))
        })
        .unwrap_or_default();
    Ok(LedgerForm {
        terms,
        default_dir: dir.display().to_string(),
    })
}

/// 台账导出: the engine writes the workbook (scope and masking by role, the
/// recorded event) and reports each step, sent on to the window.
#[tauri::command]
async fn export_ledger<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    from: String,
    to: String,
    path: String,
) -> Res<LedgerExport> {
    as_clerk(&state, |e, a| {
        e.export_ledger(a, &from, &to, Path::new(path.trim()), &mut |p| {
            if let Err(err) = app.emit(LEDGER_PROGRESS, &p) {
                eprintln!("yichuang-desktop: emit ledger progress: {err}");
            }
        })
    })
}

// ---- settings, sync, log ------------------------------------------------------------

/// The settings the window shows (values or the engine's defaults).
#[tauri::command]
async fn settings(state: State<'_, AppState>) -> Res<BTreeMap<String, String>> {
    as_clerk(&state, |e, _| {
        Ok(e.settings_in_force()?
            .into_iter()
            .map(|(d, v)| (d.key.to_owned(), v))
            .collect())
    })
}

/// The settings the logged-in clerk may change (the engine's registry decides).
#[tauri::command]
async fn changeable_settings(state: State<'_, AppState>) -> Res<Vec<&'static str>> {
    as_clerk(&state, |e, a| Ok(e.settings_changeable_by(a)))
}

/// Changing a setting is the engine's decision (administrators; the printer: any clerk).
#[tauri::command]
async fn set_setting(state: State<'_, AppState>, key: String, value: String) -> Res<()> {
    as_clerk(&state, |e, a| e.set_setting(a, &key, &value))
}

/// The engine's queue joined with the background sync's last attempt.
#[tauri::command]
async fn sync_status(state: State<'_, AppState>) -> Res<SyncStatus> {
    let view = state.engine()?.sync_status()?;
    let task = state.sync_task();
    Ok(sync_task::status(
        view,
        task.and_then(SyncTask::last_attempt),
        task.is_some_and(SyncTask::running),
    ))
}

/// 立即同步: the background sync runs at once (the result comes as an event).
#[tauri::command]
async fn sync_now(state: State<'_, AppState>) -> Res<SyncStatus> {
    as_clerk(&state, |_, _| Ok(()))?;
    let Some(task) = state.sync_task().filter(|t| t.running()) else {
        return Err(CmdError::shell(
            "后台同步未运行，请重新启动一窗",
            "sync_now: no background sync task",
        ));
    };
    let view = state.engine()?.sync_status()?;
    if !view.enrolled {
        return Err(CmdError::shell(
            "本站尚未在县级服务器注册，请先在“设置”中注册",
            "sync_now: not enrolled",
        ));
    }
    task.sync_soon();
    Ok(sync_task::status(view, task.last_attempt(), true))
}

/// Enrols the station with a one-time code from the county (administrators).
#[tauri::command]
async fn enroll(state: State<'_, AppState>, server_url: String, code: String) -> Res<SyncStatus> {
    as_clerk(&state, |e, a| e.enroll(a, &server_url, &code))?;
    // The sync thread is waiting for an enrolment: wake it.
    if let Some(t) = state.sync_task() {
        t.sync_soon();
    }
    sync_status(state).await
}

/// The fonts the notices use and the Chinese fonts on this machine.
#[tauri::command]
async fn fonts(state: State<'_, AppState>) -> Res<yichuang_engine::fonts::FontsInUse> {
    as_clerk(&state, |e, _| e.fonts_in_use())
}

#[tauri::command]
async fn verify_log(state: State<'_, AppState>) -> Res<yichuang_engine::eventlog::VerifyReport> {
    as_clerk(&state, |e, _| e.verify_log())
}

/// 事项清单: the catalog in force and its versions.
#[tauri::command]
async fn catalog_overview(state: State<'_, AppState>) -> Res<CatalogOverview> {
    as_clerk(&state, |e, a| e.catalog_overview(a))
}

/// 工作日历: the stored years and their status.
#[tauri::command]
async fn calendar_status(state: State<'_, AppState>) -> Res<Vec<CalendarYearStatus>> {
    as_clerk(&state, |e, a| e.calendar_status(a))
}

/// Imports one year of holiday data from a file the administrator chose
/// (the engine refuses other roles and records the actor).
#[tauri::command]
async fn import_calendar(
    state: State<'_, AppState>,
    text: String,
    file_name: String,
) -> Res<Vec<CalendarYearStatus>> {
    let mut e = state.engine()?;
    let a = actor(&e)?;
    e.import_calendar_year(&a, &text, &file_name)?;
    Ok(e.calendar_status(&a)?)
}

/// The window calls this once it is interactive; with `YICHUANG_MEASURE=1`
/// the shell reports the time since process start (scripts/measure-desktop.sh).
#[tauri::command]
async fn ui_ready(state: State<'_, AppState>) -> Res<()> {
    if std::env::var("YICHUANG_MEASURE").is_ok_and(|v| v == "1") {
        eprintln!(
            "yichuang-desktop: interactive after {} ms",
            state.started.elapsed().as_millis()
        );
    }
    Ok(())
}
