// The sync status of the window, kept current by the shell's `sync-status`
// events (sent after every background attempt) and read once at start.
import { listen } from '@tauri-apps/api/event'
import { reactive } from 'vue'
import { call, type SyncStatus } from './api'

export const sync = reactive({ status: null as SyncStatus | null })

let started: Promise<void> | null = null

export function refreshSync(): Promise<void> {
  return call<SyncStatus>('sync_status').then((s) => { sync.status = s }, () => {})
}

/** Subscribes once per window; later calls share the first subscription. */
export function watchSync(): Promise<void> {
  if (!started) {
    started = listen<SyncStatus>('sync-status', (e) => { sync.status = e.payload })
      .then(() => refreshSync())
      .catch(() => refreshSync())
  }
  return started
}
