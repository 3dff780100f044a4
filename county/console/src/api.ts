// The console API (/console/api, same origin). The session is the
// HttpOnly cookie; a change carries the session's CSRF token in a header.
// The server decides everything; this file only carries requests.

export interface Me {
  login: string
  name: string
  role: string
  role_zh: string
  capabilities: string[]
  csrf_token: string
  roles: { value: string; label_zh: string }[]
  idle_minutes: number
}

export class ApiError extends Error {
  constructor(public status: number, public code: string, public field: string | null, message: string) {
    super(message)
  }
}

let csrf = ''

export function setCsrf(token: string): void {
  csrf = token
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf
  const res = await fetch(`/console/api/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data: any = null
  try { data = text ? JSON.parse(text) : null } catch { data = null }
  if (!res.ok) {
    throw new ApiError(res.status, data?.code ?? 'error', data?.field ?? null,
      data?.message_zh ?? `服务器返回错误（${res.status}）`)
  }
  return data as T
}

// A file as the raw body of a change (`releases/uploads?...`), the
// answer JSON as from `call`.
export async function send<T>(path: string, body: ArrayBuffer): Promise<T> {
  const res = await fetch(`/console/api/${path}`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf },
    credentials: 'same-origin',
    body,
  })
  const text = await res.text()
  let data: any = null
  try { data = text ? JSON.parse(text) : null } catch { data = null }
  if (!res.ok) {
    throw new ApiError(res.status, data?.code ?? 'error', data?.field ?? null,
      data?.message_zh ?? `服务器返回错误（${res.status}）`)
  }
  return data as T
}

export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

// A table's .xlsx from the server (`<page>/export?...`), saved by the
// browser under the server's file name.
export async function download(path: string): Promise<string> {
  const res = await fetch(`/console/api/${path}`, { credentials: 'same-origin' })
  if (!res.ok) {
    let msg = `服务器返回错误（${res.status}）`
    try { msg = (await res.json())?.message_zh ?? msg } catch { /* not JSON */ }
    throw new ApiError(res.status, 'error', null, msg)
  }
  const cd = res.headers.get('content-disposition') ?? ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  const name = m ? decodeURIComponent(m[1]) : 'export.xlsx'
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
