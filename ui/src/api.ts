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

export function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  return invoke<T>(cmd, args)
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
  states: Labelled[]; notice_kinds: Labelled[]; material_statuses: Labelled[]; levels: Labelled[]
  person_id_types: Labelled[]; outcomes: Labelled[]; roles: Labelled[]; evaluation_statuses: Labelled[]
  deadline_kinds: Labelled[]; urgencies: Labelled[]; day_units: Labelled[]
  dissatisfaction_reasons: string[]; channels: string[]
  evaluation_targets: Target[]; evaluation_default_after_days: number; default_at_risk_days: number
  settings: SettingDef[]
}
export interface ClerkView { staff_no: string; name: string; role: 'clerk' | 'leader' | 'admin'; role_zh: string }
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
}
export interface ActionChoice { action: string; label_zh: string }
export interface NoticeChoice { kind: string; title_zh: string }
export interface OutcomeChoice { outcome: string; label_zh: string }
export interface CaseEvaluation {
  channel: string; status: 'requested' | 'answered' | 'defaulted'; status_zh: string
  level: string | null; level_zh: string | null; reasons: string[]; comment: string
  requested_at: string; answered_at: string | null
}
export interface NoticeRecord {
  case_no: string; kind: string; doc_no: string; year: number; number: number
  issued_by: string; issued_at: string; print_count: number; voided_at: string | null
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
