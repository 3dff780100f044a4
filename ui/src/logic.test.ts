import { describe, expect, it, vi } from 'vitest'
import {
  buildNewCase, debounce, enterAdvances, focusNext, idCheckKind, initialChecklist,
  canDo, dataUrlBytes, formatMs, noticeToPrint, outcomeButtons, percent, shortcutFor, syncBadge, urgencyType,
} from './logic'
import { errorCode, errorMessage, type SyncStatus } from './api'

const choice = (outcome: string, label_zh: string) => ({ outcome, label_zh })

describe('outcome buttons', () => {
  it('offers exactly what the engine allows, in its order, with its labels', () => {
    const b = outcomeButtons([
      choice('accept_with_commitment', '容缺受理（告知承诺）'), choice('request_materials', '一次性告知（缺材料）'),
      choice('propose_rejection', '不予受理（报领导审批）'), choice('withdraw', '申请人撤回'),
    ])
    expect(b.map((x) => x.value)).toEqual(['accept_with_commitment', 'request_materials', 'propose_rejection', 'withdraw'])
    expect(b[0].label).toBe('容缺受理（告知承诺）')
    expect(outcomeButtons([])).toEqual([])
  })
  it('shows an unlabelled outcome by its name rather than hiding it', () => {
    expect(outcomeButtons([choice('future_outcome', '')])[0].label).toBe('future_outcome')
  })
})

const sync = (over: Partial<SyncStatus>): SyncStatus => ({
  state: 'online', state_zh: '在线', online: true, queued: 0, oldest_unsynced: null, last_sync: '2026-11-23 09:30:00',
  enrolled: true, server_url: 'http://county.example', device_id: 'd1', last_error: null, last_attempt: null,
  releases_checked: null, releases_stale: null, ...over,
})

describe('sync badge', () => {
  it('is green only when online with nothing queued', () => {
    expect(syncBadge(sync({}))).toMatchObject({ text: '在线 · 待上传 0', type: 'success' })
    expect(syncBadge(sync({ queued: 4 })).type).toBe('primary')
  })
  it('is red when the county cannot be reached, with the reason in the tooltip', () => {
    const b = syncBadge(sync({
      state: 'offline', state_zh: '离线', online: false, queued: 7,
      last_attempt: { at_ms: 0, trigger: '本机有新记录', ok: false, message: '无法连接县级服务器', releases_applied: [] },
    }))
    expect(b.text).toBe('离线 · 待上传 7')
    expect(b.type).toBe('danger')
    expect(b.title).toContain('无法连接县级服务器')
  })
  it('says plainly when the station is not enrolled or the status is unknown', () => {
    expect(syncBadge(sync({ state: 'unenrolled', state_zh: '未注册', enrolled: false })).text).toBe('未注册 · 仅存本机')
    expect(syncBadge(null)).toMatchObject({ text: '同步状态未知', type: 'info' })
  })
})

describe('formatMs', () => {
  it('formats local wall-clock time and a dash for none', () => {
    const ms = new Date(2026, 10, 23, 9, 5, 7).getTime()
    expect(formatMs(ms)).toBe('2026-11-23 09:05:07')
    expect(formatMs(null)).toBe('—')
  })
})

describe('notice to print', () => {
  const notice = (kind: string, title_zh: string) => ({ kind, title_zh })
  it('is the first notice the engine allows for the case', () => {
    expect(noticeToPrint({ printable_notices: [notice('one_time_notice', '一次性告知单')] })).toBe('one_time_notice')
    // 容缺受理: the 承诺告知书 first, the 受理通知书 also allowed.
    expect(noticeToPrint({
      printable_notices: [notice('commitment_notice', '容缺受理承诺告知书'), notice('acceptance_notice', '受理通知书')],
    })).toBe('commitment_notice')
  })
  it('is none when the engine allows none (e.g. a rejection awaiting approval)', () => {
    // The window once offered the rejection notice before the leader approved it.
    expect(noticeToPrint({ printable_notices: [] })).toBeNull()
  })
  it('follow-up actions are the ones the engine lists', () => {
    const c = { actions: [{ action: 'supplement', label_zh: '补齐容缺材料' }] }
    expect(canDo(c, 'supplement')).toBe(true)
    expect(canDo(c, 'start')).toBe(false)
  })
})

describe('intake form', () => {
  it('builds the engine NewCase for a person', () => {
    const nc = buildNewCase('RS-SB-001', { kind: 'person', name: ' 赵测试 ', idType: 'resident_id', idNo: '11010519491231002X ', phone: '' }, { M1: 'received', M2: 'missing' })
    expect(nc).toEqual({
      item_code: 'RS-SB-001',
      applicant: { kind: 'person', name: '赵测试', id_type: 'resident_id', id_no: '11010519491231002X', phone: '' },
      materials: { M1: 'received', M2: 'missing' },
      note: '',
    })
  })
  it('builds an organization with its USCC', () => {
    const nc = buildNewCase('RS-ZC-001', { kind: 'organization', name: '某公司', idType: 'resident_id', idNo: '91110101MA00000013', phone: '1' }, {})
    expect(nc.applicant).toEqual({ kind: 'organization', name: '某公司', uscc: '91110101MA00000013', phone: '1' })
  })
  it('chooses the engine check for the ID field', () => {
    expect(idCheckKind({ kind: 'person', idType: 'resident_id' })).toBe('resident_id')
    expect(idCheckKind({ kind: 'person', idType: 'passport' })).toBe('other')
    expect(idCheckKind({ kind: 'organization', idType: 'resident_id' })).toBe('uscc')
  })
  it('starts every material as missing until ticked', () => {
    expect(initialChecklist([{ code: 'M1' }, { code: 'M2' }])).toEqual({ M1: 'missing', M2: 'missing' })
    expect(initialChecklist([{ code: 'M1' }], 'received')).toEqual({ M1: 'received' })
  })
})

describe('keyboard', () => {
  it('maps the counter shortcuts', () => {
    expect(shortcutFor({ key: 'F2' })).toBe('new_case')
    expect(shortcutFor({ key: 'p', ctrlKey: true })).toBe('print')
    expect(shortcutFor({ key: 'F4' })).toBe('deadlines')
    expect(shortcutFor({ key: 'p' })).toBeNull()
    expect(shortcutFor({ key: 'F2', ctrlKey: true })).toBeNull()
  })
  it('Enter moves to the next field and skips skipped regions', () => {
    document.body.innerHTML = `<form id="f"><input id="a"><div data-skip-enter><button id="x">x</button></div><input id="b"><textarea id="c"></textarea></form>`
    const f = document.getElementById('f') as HTMLElement
    const a = document.getElementById('a') as HTMLInputElement
    a.focus()
    const ev = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true })
    Object.defineProperty(ev, 'target', { value: a })
    expect(enterAdvances(ev, f)).toBe(true)
    expect(ev.defaultPrevented).toBe(true)
    expect(document.activeElement?.id).toBe('b')
    expect(focusNext(f, document.getElementById('c')!)).toBeNull()
  })
  it('Enter in a field marked to submit is left alone', () => {
    document.body.innerHTML = `<div id="f"><div data-enter-submits><input id="a"></div><input id="b"></div>`
    const a = document.getElementById('a') as HTMLInputElement
    const ev = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true })
    Object.defineProperty(ev, 'target', { value: a })
    expect(enterAdvances(ev, document.getElementById('f')!)).toBe(false)
    expect(ev.defaultPrevented).toBe(false)
  })
})

describe('labels and errors', () => {
  it('colours urgencies (the labels are the engine\'s)', () => {
    expect(urgencyType('overdue')).toBe('danger')
    expect(urgencyType('on_track')).toBe('success')
  })
  it('formats rates', () => {
    expect(percent(0.9)).toBe('90.0%')
    expect(percent(null)).toBe('—')
  })
  it('reads engine errors', () => {
    const e = { message: '工号 2001 或密码不正确', detail: 'authentication failed', code: 'auth_failed' }
    expect(errorMessage(e)).toBe('工号 2001 或密码不正确')
    expect(errorCode(e)).toBe('auth_failed')
    expect(errorMessage('boom')).toBe('boom')
    expect(errorCode('boom')).toBeNull()
  })
  it('debounces live validation', async () => {
    vi.useFakeTimers()
    const f = vi.fn()
    const d = debounce(f, 100)
    d(1); d(2); d(3)
    vi.advanceTimersByTime(150)
    expect(f).toHaveBeenCalledTimes(1)
    expect(f).toHaveBeenCalledWith(3)
    vi.useRealTimers()
  })
})

describe('dataUrlBytes', () => {
  it('decodes the PDF the shell sends when there are no page images', () => {
    const b = dataUrlBytes('data:application/pdf;base64,JVBERi0xLjc=')
    expect(b && new TextDecoder().decode(b)).toBe('%PDF-1.7')
  })
  it('refuses what is not a base64 data URL', () => {
    expect(dataUrlBytes('file:///tmp/x.pdf')).toBeNull()
    expect(dataUrlBytes('data:application/pdf;base64,@@@')).toBeNull()
  })
})
