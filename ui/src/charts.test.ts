import { describe, expect, it } from 'vitest'
import type { DeadlineRow, Labelled, TargetCheck } from './api'
import {
  COLORS, deadlineCounts, deadlineKindOption, deadlineSummary, deadlineUrgencyOption,
  evalGroupsOption, evalLevelOption, evalRatesOption, evalStatusOption, type ChartOption, type EvaluationStats,
} from './charts'

// The engine's targets and its judgement of a rate, as EvaluationCounts.targets carries them.
function check(figure: 'evaluation_rate' | 'default_rate', rate: number | null): TargetCheck {
  const t = figure === 'evaluation_rate'
    ? { figure, label_zh: '评价率', bound: 'at_least' as const, value: 0.9, text_zh: '≥90%' }
    : { figure, label_zh: '默认评价率', bound: 'at_most' as const, value: 0.15, text_zh: '≤15%' }
  const met = rate == null ? null : t.bound === 'at_least' ? rate >= t.value : rate <= t.value
  return { ...t, rate, met }
}

// 20 cases, 18 asked to rate (90 %), 3 defaulted, 2 pending, 13 answered (10 + 2 + 1).
const stats: EvaluationStats = {
  from: '2026-11-01', to: '2026-11-30',
  cases: 20, evaluated: 18, requested: 15, answered: 13, defaulted: 3, pending: 2,
  screen: 10, paper: 3, unanswered: 0, legacy: 0, good: 12,
  levels: [
    { level: 'satisfied', label_zh: '满意', good: true, count: 10 },
    { level: 'basically_satisfied', label_zh: '基本满意', good: true, count: 2 },
    { level: 'dissatisfied', label_zh: '不满意', good: false, count: 1 },
  ],
  sources: [],
  evaluation_rate: 18 / 20, default_rate: 3 / 18, good_rate: 12 / 13,
  targets: [check('evaluation_rate', 18 / 20), check('default_rate', 3 / 18)],
}

// The engine's urgencies and deadline kinds, in its order (Meta).
const URGENCIES: Labelled[] = [
  { value: 'overdue', label: '已超期' }, { value: 'due_today', label: '今日到期' },
  { value: 'at_risk', label: '即将到期' }, { value: 'on_track', label: '正常' },
]
const KINDS: Labelled[] = [
  { value: 'one_time_notice', label: '受理审查（一次性告知）期限' }, { value: 'supplement', label: '容缺补齐期限' },
  { value: 'promised', label: '承诺办结期限' }, { value: 'statutory', label: '法定办结期限' },
]

type Series = { type?: string; name?: string; stack?: string; data?: unknown[] }
function series(o: ChartOption): Series[] {
  const s = o.series
  return (Array.isArray(s) ? s : [s]) as Series[]
}
function values(s: Series): unknown[] {
  return (s.data ?? []).map((d) => (d !== null && typeof d === 'object' && 'value' in d ? (d as { value: unknown }).value : d))
}
function colors(s: Series): unknown[] {
  return (s.data ?? []).map((d) => (d as { itemStyle?: { color?: string } }).itemStyle?.color)
}
function categories(axis: unknown): unknown[] {
  return (axis as { data: unknown[] }).data
}

describe('好差评 charts', () => {
  it('distribution: one slice per level with the engine counts', () => {
    const [pie] = series(evalLevelOption(stats))
    expect(pie.type).toBe('pie')
    expect(pie.data).toMatchObject([
      { name: '满意', value: 10 }, { name: '基本满意', value: 2 }, { name: '不满意', value: 1 },
    ])
  })

  it('distribution: an empty level keeps its legend entry but gets no label', () => {
    const levels = stats.levels.map((l) => ({ ...l, count: l.level === 'basically_satisfied' ? 2 : 0 }))
    const [pie] = series(evalLevelOption({ ...stats, levels, answered: 2 }))
    expect(pie.data).toMatchObject([
      { name: '满意', value: 0, label: { show: false } },
      { name: '基本满意', value: 2, label: { show: true } },
      { name: '不满意', value: 0, label: { show: false } },
    ])
  })

  it('status: answered, defaulted, pending and never asked add up to the cases', () => {
    const o = evalStatusOption(stats)
    expect(categories(o.xAxis)).toEqual(['评价屏作答', '纸质评价表', '默认', '未作答', '待评价', '未参评'])
    const v = values(series(o)[0])
    expect(v).toEqual([10, 3, 3, 0, 2, 2])
    expect((v as number[]).reduce((a, b) => a + b, 0)).toBe(stats.cases)
  })

  it('status never shows a negative bar', () => {
    const v = values(series(evalStatusOption({ ...stats, cases: 0, evaluated: 1 }))[0])
    expect(v[5]).toBe(0)
  })

  it('rates in percent, coloured by whether the target is met', () => {
    const o = evalRatesOption(stats)
    expect(categories(o.yAxis)).toEqual(['评价率（目标≥90%）', '默认评价率（目标≤15%）', '好评率'])
    const [bar] = series(o)
    expect(values(bar)).toEqual([90, 16.7, 92.3])
    // 90 % meets ≥ 90 %; 16.7 % misses ≤ 15 %.
    expect(colors(bar)).toEqual([COLORS.success, COLORS.danger, COLORS.primary])
  })

  it('rates without data stay empty and grey, not zero', () => {
    const none = { ...stats, cases: 0, requested: 0, answered: 0, evaluation_rate: null, default_rate: null, good_rate: null,
      targets: [check('evaluation_rate', null), check('default_rate', null)] }
    const [bar] = series(evalRatesOption(none))
    expect(values(bar)).toEqual([null, null, null])
    expect(colors(bar)).toEqual([COLORS.info, COLORS.info, COLORS.info])
  })
})

function row(case_no: string, urgency: string, kind: string, kind_zh: string, provisional = false): DeadlineRow {
  return {
    case_no, item_name: '职工参保登记', applicant: '赵测试', state: 'accepted', kind, kind_zh,
    due: '2027-01-08', provisional, working_days_left: 0, urgency, urgency_zh: '', unit: 'working_days', unit_zh: '个工作日', days_left: 0, note_zh: null, supervision_note: null,
  }
}
const rows: DeadlineRow[] = [
  row('CG01-1', 'overdue', 'supplement', '容缺补齐期限'),
  row('CG01-2', 'overdue', 'promised', '承诺办结期限', true),
  row('CG01-3', 'due_today', 'promised', '承诺办结期限'),
  row('CG01-4', 'at_risk', 'statutory', '法定办结期限', true),
  row('CG01-5', 'on_track', 'promised', '承诺办结期限'),
  row('CG01-6', 'on_track', 'one_time_notice', '受理审查（一次性告知）期限'),
]

describe('好差评 per clerk', () => {
  it('shows each clerk\'s evaluation rate (red below 90 %) and good rate', () => {
    const g = (key: string, name: string, cases: number, requested: number, good: number | null) => ({
      ...stats, key, name, cases, requested, evaluation_rate: requested / cases, good_rate: good,
      targets: [check('evaluation_rate', requested / cases)],
    })
    const o = evalGroupsOption([g('2001', '张窗口', 10, 10, 0.8), g('2002', '李窗口', 4, 2, null)])
    expect(categories(o.yAxis)).toEqual(['张窗口', '李窗口'])
    const [rate, good] = series(o)
    expect(values(rate)).toEqual([100, 50])
    expect(colors(rate)).toEqual([COLORS.success, COLORS.danger])
    expect(values(good)).toEqual([80, null])
  })
})

describe('时限预警 charts', () => {
  it('counts per urgency, with the provisional ones', () => {
    expect(deadlineCounts(rows, URGENCIES)).toEqual([
      { urgency: 'overdue', label: '已超期', total: 2, provisional: 1 },
      { urgency: 'due_today', label: '今日到期', total: 1, provisional: 0 },
      { urgency: 'at_risk', label: '即将到期', total: 1, provisional: 1 },
      { urgency: 'on_track', label: '正常', total: 2, provisional: 0 },
    ])
  })

  it('summary line in Chinese', () => {
    expect(deadlineSummary(rows, URGENCIES)).toBe('已超期 2 件（暂定 1 件），今日到期 1 件，即将到期 1 件（暂定 1 件），正常 2 件')
    expect(deadlineSummary([], URGENCIES)).toBe('没有未办结的期限')
  })

  it('urgency chart stacks confirmed and provisional deadlines', () => {
    const o = deadlineUrgencyOption(rows, URGENCIES)
    expect(categories(o.xAxis)).toEqual(['已超期', '今日到期', '即将到期', '正常'])
    const [confirmed, provisional] = series(o)
    expect(confirmed.stack).toBe(provisional.stack)
    expect(provisional.name).toContain('暂定')
    expect(values(confirmed)).toEqual([1, 1, 0, 2])
    expect(values(provisional)).toEqual([1, 0, 1, 0])
    expect(colors(confirmed)[0]).toBe(COLORS.danger)
    expect(o.legend).toMatchObject({ data: [provisional.name] })
  })

  it('kind chart: kinds in the engine order, one stacked series per urgency', () => {
    const o = deadlineKindOption(rows, URGENCIES, KINDS)
    expect(categories(o.yAxis)).toEqual(['受理审查（一次性告知）期限', '容缺补齐期限', '承诺办结期限', '法定办结期限'])
    const s = series(o)
    expect(s.map((x) => x.name)).toEqual(['已超期', '今日到期', '即将到期', '正常'])
    expect(s.map(values)).toEqual([
      [0, 1, 1, 0], // overdue
      [0, 0, 1, 0], // due today
      [0, 0, 0, 1], // at risk
      [1, 0, 1, 0], // on track
    ])
    const total = s.flatMap(values).reduce((a: number, b) => a + (b as number), 0)
    expect(total).toBe(rows.length)
  })

  it('empty board gives empty charts', () => {
    expect(series(deadlineKindOption([], URGENCIES, KINDS)).every((x) => (x.data ?? []).length === 0)).toBe(true)
    expect(series(deadlineUrgencyOption([], URGENCIES)).flatMap(values)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
  })
})
