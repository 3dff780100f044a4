// Window-wide state: who is at the counter, labels from the engine, shortcut requests.
import { reactive } from 'vue'
import type { ClerkView, Meta } from './api'

export const store = reactive({
  clerk: null as ClerkView | null,
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
export function unitLabel(value: string): string {
  return store.meta?.day_units?.find((s) => s.value === value)?.label ?? value
}
