// The one door to the engine: every call goes through a Tauri command.
import { invoke } from '@tauri-apps/api/core'

export interface CmdError { message: string; detail: string; code: string | null }

export function errorMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as CmdError).message)
  return String(e)
}

export function errorCode(e: unknown): string | null {
  if (e && typeof e === 'object' && 'code' in e) return (e as CmdError).code ?? null
  return null
}

/** Codes that change who is at the counter: the window follows them (lock
 * screen, forced password change, log-in) whichever command met them. */
type SessionHook = (code: string) => void
let onSessionCode: SessionHook = () => undefined
export function setSessionHook(f: SessionHook) { onSessionCode = f }
const SESSION_CODES = ['session_locked', 'password_change_required', 'not_logged_in']

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args)
  } catch (e) {
    const code = errorCode(e)
    if (code && SESSION_CODES.includes(code) && cmd !== 'login' && cmd !== 'change_password') onSessionCode(code)
    throw e
  }
}

export interface Labelled { value: string; label: string }
/** One setting of the engine's registry. */
export interface SettingDef {
  key: string; label_zh: string; who: 'clerk' | 'leader' | 'admin'
  group: 'printer' | 'office' | 'deadline' | 'sync' | 'fonts' | 'notice_numbers'
  kind: { type: string }
}
/** A 好差评 target as the engine sets it. */
export interface Target { figure: string; label_zh: string; bound: 'at_least' | 'at_most'; value: number }
/** A rate against its target, computed by the engine. */
export interface TargetCheck extends Target { text_zh: string; rate: number | null; met: boolean | null }
/** The engine's vocabulary: every enumeration with its label, and the rule constants a window shows. */
export interface Meta {
  states: Labelled[]; notice_kinds: Labelled[]; material_statuses: Labelled[]
  person_id_types: Labelled[]; outcomes: Labelled[]; roles: Labelled[]; evaluation_statuses: Labelled[]
  evaluation_channels: Labelled[]
  deadline_kinds: Labelled[]; urgencies: Labelled[]; day_units: Labelled[]
  dissatisfaction_reasons: string[]; evaluation_comment_max_chars: number
  evaluation_targets: Target[]; default_at_risk_days: number
  settings: SettingDef[]
  /** The password rule in the words a form shows (engine). */
  password_rule_zh: string
}
export interface ClerkView { staff_no: string; name: string; role: 'clerk' | 'leader' | 'admin'; role_zh?: string; window_no?: string }
/** The counter's session as the engine reports it. */
export interface Session {
  clerk: ClerkView; role_zh: string; locked: boolean; must_change_password: boolean
  idle_lock_minutes: number; may: string[]
}
export interface Account {
  id: number; staff_no: string; name: string; role: 'clerk' | 'leader' | 'admin'; window_no: string; role_zh: string
  active: boolean; disabled_reason: string | null; must_change_password: boolean
  last_login_at: string | null; locked_until: string | null; created_at: string
}
export interface IdReveal { case_no: string; staff_no: string; clerk_name: string; at: string }
export interface CalendarYearStatus {
  year: number; source: string; imported_at: string | null; sha256: string | null
  holidays: number; make_up_workdays: number; published: boolean; status_zh: string
}
export interface Material {
  code: string; name: string; form: string; copies: number; required: boolean
  deferrable: boolean; promise_replaces_proof: boolean; standard: string
}
export interface ServiceItem {
  code: string; name: string; pinyin_initials: string; category: string; window: string
  statutory_days: number; statutory_unit: string; promised_days: number; promised_unit: string; materials: Material[]
}
export interface CaseMaterial extends Material { status: string }
export interface CaseView {
  case_no: string; state: string; state_zh: string; item_code: string; item_name: string
  applicant_kind: string; applicant_name: string; applicant_id_no: string
  first_contact: string; handler: string; received_on: string
  onetime_notice_due: string; accepted_on: string | null
  promised_due: string | null; promised_provisional: boolean
  statutory_due: string | null; statutory_provisional: boolean
  supplement_due: string | null; rejection_reason: string | null; rejection_basis: string | null
  materials: CaseMaterial[]; outcomes: string[]
  /** The engine's allowed outcomes with their labels, in the engine's order. */
  outcome_choices: OutcomeChoice[]
  /** Lifecycle actions the engine's table allows from this state. */
  actions: ActionChoice[]
  /** Notices the engine allows printing in this state, the one a decision needs first. */
  printable_notices: NoticeChoice[]
  evaluation: CaseEvaluation | null
  /** Whether this station decides the item or only receives it for another body. */
  handling: { mode: 'decides' } | { mode: 'receives_for'; body: string; body_name: string }
  forwarded_to: string | null
  review_lapse: string | null; review_lapse_zh: string | null
  supply_due: string | null
  /** applicant_id_no is masked (the default view); `reveal_id` shows it, recorded. */
  id_masked: boolean
}
export interface ActionChoice { action: string; label_zh: string }
export interface NoticeChoice { kind: string; title_zh: string }
export interface OutcomeChoice { outcome: string; label_zh: string }
export interface CaseEvaluation {
  status: 'requested' | 'answered' | 'defaulted' | 'unanswered' | 'legacy'; status_zh: string
  channel: string | null; channel_zh: string | null; screen: string | null; answered_on: string | null
  paper_serial: string | null; scale: string | null
  level: string | null; level_zh: string | null; good: boolean | null; reasons: string[]; comment: string
  requested_by: string | null; requested_at: string | null; due_at: string | null; answered_at: string | null
  entered_by: string | null; legacy_channel: string | null
}
/** The county's 好差评 scale (engine `Scale`): levels in order, which are good, which need reasons. */
export interface ScaleLevel { code: string; label_zh: string; good: boolean; reasons: boolean }
export interface Scale { name: string; basis: string; levels: ScaleLevel[] }
/** What the applicant screen shows for a waiting request (engine `ScreenRequest`). */
export interface ScreenRequest {
  screen: string; case_no: string; station_name: string; window_no: string; clerk_name: string; clerk_staff_no: string
  item_name: string; scale: Scale; reasons: string[]; max_comment_chars: number; due_at: string; seconds_left: number
}
export interface NoticeRecord {
  case_no: string; kind: string; doc_no: string; year: number; number: number
  issued_by: string; issued_at: string; print_count: number; voided_at: string | null
  void_reason?: string | null
}
export interface PrintedNotice { record: NoticeRecord; n: number; reprint: boolean; path: string }
export interface IdCheck { ok: boolean; normalized: string | null; birth_date: string | null; message: string | null }
export interface CaseSummary {
  case_no: string; item_name: string; applicant_name: string; applicant_id_masked: string
  state: string; state_zh: string; received_on: string
}
export interface DeadlineRow {
  case_no: string; item_name: string; applicant: string; state: string; kind: string; kind_zh: string
  due: string; provisional: boolean; working_days_left: number; urgency: string; urgency_zh: string
  /** The recorded consequence of a lapsed acceptance review (视为受理 …). */
  note_zh: string | null
  /** 挂牌督办: the county's request, when the county flagged the case. */
  supervision_note: string | null
  /** The period's unit (the item's) and the days left in it. */
  unit: string; unit_zh: string; days_left: number
}
export interface SyncAttempt { at_ms: number; trigger: string; ok: boolean; message: string; releases_applied: string[] }
export interface SyncStatus {
  state: 'unenrolled' | 'connecting' | 'online' | 'offline' | 'stopped'; state_zh: string
  online: boolean; queued: number; oldest_unsynced: string | null; last_sync: string | null
  enrolled: boolean; server_url: string | null; device_id: string | null; last_error: string | null
  last_attempt: SyncAttempt | null
  /** When the county last answered the release list; the engine's warning when that is too long ago. */
  releases_checked: string | null; releases_stale: string | null
}
export interface FontsInUse { body: string[]; title: string[]; heading: string[]; installed: { value: string; label: string }[] }
/** What an export by the logged-in clerk covers (the engine's terms) and where the form proposes to save. */
export interface LedgerForm { scope: 'station' | 'own_cases'; scope_zh: string; full_ids: boolean; ids_zh: string; default_dir: string }
/** One step of an export, as the shell's `ledger-progress` events send it. */
export interface LedgerProgress { stage_zh: string; done: number; total: number }
export interface LedgerCounts { cases: number; filings: number; notices: number; evaluations: number }
export interface LedgerExport {
  path: string; period: { from: string; to: string }
  scope: 'station' | 'own_cases'; scope_zh: string; full_ids: boolean; ids_zh: string
  counts: LedgerCounts; seq: number
}
