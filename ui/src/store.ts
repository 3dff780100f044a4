// Window-wide state: who is at the counter, labels from the engine, shortcut requests.
import { reactive } from 'vue'
import type { ClerkView, Meta, Session } from './api'

export const store = reactive({
  clerk: null as ClerkView | null,
  /** What the logged-in role may do beyond a clerk's (from the engine). */
  may: [] as string[],
  /** The counter is locked (idle or by hand): the clerk's password opens it. */
  locked: false,
  /** An administrator reset the password: a new one first. */
  mustChange: false,
  idleMinutes: 0,
  meta: null as Meta | null,
  station: '' as string,
  today: '' as string,
  printRequests: 0,
  evalRequests: 0,
})

export function stateLabel(value: string): string {
  return store.meta?.states.find((s) => s.value === value)?.label ?? value
}
export function kindLabel(value: string): string {
  return store.meta?.notice_kinds.find((s) => s.value === value)?.label ?? value
}
export function statusLabel(value: string): string {
  return store.meta?.material_statuses.find((s) => s.value === value)?.label ?? value
}
/** A setting's label from the engine's registry. */
export function settingLabel(key: string): string {
  return store.meta?.settings.find((d) => d.key === key)?.label_zh ?? key
}
export function unitLabel(value: string): string {
  return store.meta?.day_units?.find((s) => s.value === value)?.label ?? value
}

/** Takes the engine's session into the window's state. */
export function applySession(s: Session | null) {
  store.clerk = s ? { ...s.clerk, role_zh: s.role_zh } : null
  store.may = s?.may ?? []
  store.locked = s?.locked ?? false
  store.mustChange = s?.must_change_password ?? false
  store.idleMinutes = s?.idle_lock_minutes ?? 0
}
export function may(what: string): boolean {
  return store.may.includes(what)
}
