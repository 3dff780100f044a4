// UI logic with no rule of the counter in it: labels, focus movement, form →
// engine input. Which outcomes, actions and notices are possible is decided by
// the engine (CaseView.outcome_choices, actions, printable_notices).

import type { CaseView, OutcomeChoice, SyncStatus } from './api'

/** Buttons for exactly the outcomes the engine offered, in the engine's order,
 * with the engine's labels (an unlabelled one shows its name rather than hiding). */
export function outcomeButtons(choices: OutcomeChoice[]): { value: string; label: string }[] {
  return choices.map((c) => ({ value: c.outcome, label: c.label_zh || c.outcome }))
}

export type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/** The header badge: connection state, queue, and what the last attempt said. */
export function syncBadge(s: SyncStatus | null): { text: string; type: TagType; title: string } {
  if (!s) return { text: '同步状态未知', type: 'info', title: '' }
  const text = s.state === 'unenrolled' ? '未注册 · 仅存本机' : `${s.state_zh} · 待上传 ${s.queued}`
  let type: TagType = 'info'
  if (s.state === 'online') type = s.queued > 0 ? 'primary' : 'success'
  else if (s.state === 'offline') type = 'danger'
  const title = [
    `上次成功同步：${s.last_sync ?? '从未'}`,
    s.last_attempt ? `最近一次（${s.last_attempt.trigger}）：${s.last_attempt.message}` : '',
    s.oldest_unsynced ? `最早未上传记录：${s.oldest_unsynced}` : '',
  ].filter(Boolean).join('\n')
  return { text, type, title }
}

/** A wall-clock time of the sync thread for the sync page. */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null) return '—'
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** The notice a decision needs printed first: the engine's first printable notice for the case. */
export function noticeToPrint(c: Pick<CaseView, 'printable_notices'>): string | null {
  return c.printable_notices[0]?.kind ?? null
}

/** Whether the engine's lifecycle table allows `action` from the case's state. */
export function canDo(c: Pick<CaseView, 'actions'>, action: string): boolean {
  return c.actions.some((a) => a.action === action)
}

export interface ApplicantForm {
  kind: 'person' | 'organization'
  name: string
  idType: string
  idNo: string
  phone: string
}

/** Which engine check the ID field gets: 身份证 and 统一社会信用代码 have checksums. */
export function idCheckKind(a: Pick<ApplicantForm, 'kind' | 'idType'>): 'resident_id' | 'uscc' | 'other' {
  if (a.kind === 'organization') return 'uscc'
  return a.idType === 'resident_id' ? 'resident_id' : 'other'
}

/** The engine's NewCase JSON from the intake form. */
export function buildNewCase(itemCode: string, a: ApplicantForm, materials: Record<string, string>, note = '') {
  const applicant = a.kind === 'organization'
    ? { kind: 'organization', name: a.name.trim(), uscc: a.idNo.trim(), phone: a.phone.trim() }
    : { kind: 'person', name: a.name.trim(), id_type: a.idType, id_no: a.idNo.trim(), phone: a.phone.trim() }
  return { item_code: itemCode, applicant, materials: { ...materials }, note }
}

/** A fresh checklist: nothing received yet; the clerk ticks what is on the counter. */
export function initialChecklist(materials: { code: string }[], status = 'missing'): Record<string, string> {
  return Object.fromEntries(materials.map((m) => [m.code, status]))
}

export type Shortcut = 'new_case' | 'search' | 'deadlines' | 'approvals' | 'print' | 'evaluation' | null

/** Global keyboard shortcuts of the counter. */
export function shortcutFor(e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): Shortcut {
  const ctrl = e.ctrlKey || e.metaKey
  if (ctrl && (e.key === 'p' || e.key === 'P')) return 'print'
  if (ctrl || e.altKey) return null
  switch (e.key) {
    case 'F2': return 'new_case'
    case 'F3': return 'search'
    case 'F4': return 'deadlines'
    case 'F6': return 'approvals'
    case 'F8': return 'evaluation'
    default: return null
  }
}

const FOCUSABLE = 'input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** Enter advances: focus the next field of the form, as Tab would. */
export function focusNext(container: HTMLElement, current: Element): HTMLElement | null {
  const all = Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE))
    .filter((el) => el.tabIndex >= 0 && !el.closest('[data-skip-enter]'))
  const i = all.indexOf(current as HTMLElement)
  const next = i >= 0 ? all[i + 1] : undefined
  if (next) next.focus()
  return next ?? null
}

/** Enter in a text field moves on; Enter on a button or in a textarea keeps its usual meaning. */
export function enterAdvances(e: KeyboardEvent, container: HTMLElement): boolean {
  if (e.key !== 'Enter' || e.ctrlKey || e.shiftKey || e.altKey || e.isComposing) return false
  const t = e.target as HTMLElement | null
  if (!t || t.tagName !== 'INPUT') return false
  const type = (t as HTMLInputElement).type
  if (type === 'checkbox' || type === 'radio' || type === 'submit' || type === 'button') return false
  if (t.closest('[data-enter-submits]')) return false
  e.preventDefault()
  return focusNext(container, t) !== null
}

/** The colour of an urgency (the engine gives its label: DeadlineRow.urgency_zh, Meta.urgencies). */
export function urgencyType(u: string): 'danger' | 'warning' | 'primary' | 'success' {
  switch (u) {
    case 'overdue': return 'danger'
    case 'due_today': return 'warning'
    case 'at_risk': return 'primary'
    default: return 'success'
  }
}

export function percent(r: number | null | undefined): string {
  return r == null ? '—' : `${(r * 100).toFixed(1)}%`
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined
  return (...a: A) => {
    if (t) clearTimeout(t)
    t = setTimeout(() => fn(...a), ms)
  }
}

/** The bytes of a base64 data URL (the shell sends a PDF this way), or null if it is not one. */
export function dataUrlBytes(url: string): Uint8Array<ArrayBuffer> | null {
  const m = /^data:[^;,]+;base64,(.*)$/s.exec(url)
  if (!m) return null
  try {
    const bin = atob(m[1])
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out
  } catch { return null }
}
