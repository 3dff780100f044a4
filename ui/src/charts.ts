// Chart options for the leaders' views, built from what the engine returns.
// Pure functions (no echarts import at run time: the library is loaded on
// demand by EChart.vue), so the numbers are tested without a browser.
import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, PieSeriesOption } from 'echarts/charts'
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components'
import type { DeadlineRow, Labelled, TargetCheck } from './api'
import { urgencyType } from './logic'

export type ChartOption = ComposeOption<
  BarSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>

/** The engine's EvaluationStats (domain::evaluation). */
export interface EvaluationStats {
  from?: string; to?: string
  cases: number; evaluated: number; requested: number; answered: number; defaulted: number; pending: number
  screen: number; paper: number; unanswered: number; legacy: number; good: number
  /** Answers per level, in the scale's order (the engine's). */
  levels: LevelCount[]
  /** Where the closed evaluations came from, with shares (the channel mix). */
  sources: SourceShare[]
  evaluation_rate: number | null; default_rate: number | null; good_rate: number | null
  /** Each rate with a target, met or missed: the engine's judgement. */
  targets: TargetCheck[]
  /** Per handling clerk and per item (absent in older engines). */
  by_clerk?: EvaluationGroup[]; by_item?: EvaluationGroup[]
  by_channel?: ChannelGroup[]
}
export interface LevelCount { level: string; label_zh: string; good: boolean | null; count: number }
export interface SourceShare { source: string; label_zh: string; count: number; share: number | null }
export interface ChannelGroup { channel: string; label_zh: string; answers: number; good: number; good_rate: number | null; levels: LevelCount[] }
export type EvaluationGroup = Omit<EvaluationStats, 'from' | 'to' | 'by_clerk' | 'by_item' | 'by_channel'> & { key: string; name: string }

// Element Plus palette, so charts match the tags and alerts next to them.
export const COLORS = { success: '#67c23a', warning: '#e6a23c', danger: '#f56c6c', primary: '#409eff', info: '#909399' }

// The page's font stack (style.css), named in full: ECharts measures label
// widths itself and cannot resolve 'inherit', so CJK legends would overlap.
export const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'

// Every chart: no animation (a counter PC, and screenshots stay stable), the page's font.
const BASE = { animation: false, textStyle: { fontFamily: FONT } } as const

/** The engine's check of one rate, by figure. */
export function targetOf(s: Pick<EvaluationStats, 'targets'>, figure: string): TargetCheck | undefined {
  return s.targets?.find((t) => t.figure === figure)
}

/** `评价率（目标≥90%）` from the engine's target. */
export function targetLabel(t: TargetCheck | undefined, fallback: string): string {
  return t ? `${t.label_zh}（目标${t.text_zh}）` : fallback
}

function pct(r: number | null): number | null {
  return r == null ? null : Math.round(r * 1000) / 10
}

/** 评价结果分布: the applicant's answers by level, in the scale's order; good
 * levels green and blue, the others red and orange (the engine says which). */
export function evalLevelOption(s: EvaluationStats): ChartOption {
  return {
    ...BASE,
    tooltip: { trigger: 'item', formatter: '{b}：{c} 件（{d}%）' },
    legend: { bottom: 0 },
    series: [{
      type: 'pie',
      name: '评价结果',
      radius: ['40%', '68%'],
      center: ['50%', '45%'],
      label: { formatter: '{b}\n{c} 件' },
      // Empty slices keep their legend entry but no label (labels of zero slices pile up).
      data: levelSlices(s.levels ?? []).map(({ name, value, color }) => ({ name, value, itemStyle: { color }, label: { show: value > 0 }, labelLine: { show: value > 0 } })),
    }],
  }
}

/** One slice per level; the shades alternate within the good and the other levels. */
function levelSlices(levels: LevelCount[]): { name: string; value: number; color: string }[] {
  let good = 0
  let bad = 0
  return levels.map((l) => ({
    name: l.label_zh,
    value: l.count,
    color: l.good ? [COLORS.success, COLORS.primary][good++ % 2] : [COLORS.danger, COLORS.warning][bad++ % 2],
  }))
}

/** 评价情况: what became of each case's evaluation in the period. */
export function evalStatusOption(s: EvaluationStats): ChartOption {
  const notEvaluated = Math.max(0, s.cases - (s.evaluated ?? s.requested))
  return {
    ...BASE,
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 24, bottom: 28 },
    xAxis: { type: 'category', data: ['评价屏作答', '纸质评价表', '默认', '未作答', '待评价', '未参评'] },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{
      type: 'bar',
      name: '办件数',
      barMaxWidth: 48,
      label: { show: true, position: 'top' },
      data: [
        { value: s.screen ?? s.answered, itemStyle: { color: COLORS.success } },
        { value: s.paper ?? 0, itemStyle: { color: COLORS.success } },
        { value: s.defaulted, itemStyle: { color: COLORS.warning } },
        { value: s.unanswered ?? 0, itemStyle: { color: COLORS.danger } },
        { value: s.pending, itemStyle: { color: COLORS.primary } },
        { value: notEvaluated, itemStyle: { color: COLORS.info } },
      ],
    }],
  }
}

/** 评价率 / 默认评价率 / 好评率 in percent; green when the target is met, red when not. */
export function evalRatesOption(s: EvaluationStats): ChartOption {
  const meets = (rate: number | null, t: TargetCheck | undefined) =>
    (rate == null || t?.met == null ? COLORS.info : t.met ? COLORS.success : COLORS.danger)
  const rows = (['evaluation_rate', 'default_rate'] as const).map((figure) => {
    const t = targetOf(s, figure)
    return { name: targetLabel(t, figure), value: pct(s[figure]), color: meets(s[figure], t) }
  })
  rows.push({ name: '好评率', value: pct(s.good_rate), color: s.good_rate == null ? COLORS.info : COLORS.primary })
  return {
    ...BASE,
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${v}%`) },
    grid: { left: 170, right: 56, top: 12, bottom: 24 },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name) },
    series: [{
      type: 'bar',
      name: '比率',
      barMaxWidth: 24,
      label: { show: true, position: 'right', formatter: (p) => (p.value == null ? '—' : `${p.value}%`) },
      data: rows.map((r) => ({ value: r.value, itemStyle: { color: r.color } })),
    }],
  }
}

/** Per clerk or item: 评价率 against its target and 好评率, side by side (percent). */
export function evalGroupsOption(groups: EvaluationGroup[]): ChartOption {
  const names = groups.map((g) => g.name)
  return {
    ...BASE,
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${v}%`) },
    legend: { top: 0 },
    grid: { left: 110, right: 56, top: 28, bottom: 24 },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: names },
    series: [
      {
        type: 'bar', name: '评价率', barMaxWidth: 16, itemStyle: { color: COLORS.success },
        data: groups.map((g) => ({
          value: pct(g.evaluation_rate),
          itemStyle: { color: targetOf(g, 'evaluation_rate')?.met ? COLORS.success : COLORS.danger },
        })),
      },
      { type: 'bar', name: '好评率', barMaxWidth: 16, itemStyle: { color: COLORS.primary }, data: groups.map((g) => pct(g.good_rate)) },
    ],
  }
}

function urgencyColor(u: string): string {
  return COLORS[urgencyType(u)]
}

export interface DeadlineCounts { urgency: string; label: string; total: number; provisional: number }

/** Deadlines per urgency (the engine's urgencies, in its order: most urgent
 * first), and how many of them rest on a provisional calendar. */
export function deadlineCounts(rows: DeadlineRow[], urgencies: Labelled[]): DeadlineCounts[] {
  return urgencies.map(({ value: u, label }) => {
    const of = rows.filter((r) => r.urgency === u)
    return { urgency: u, label, total: of.length, provisional: of.filter((r) => r.provisional).length }
  })
}

/** One line for the panel and for screen readers: 已超期 2 件（暂定 1 件），… */
export function deadlineSummary(rows: DeadlineRow[], urgencies: Labelled[]): string {
  if (rows.length === 0) return '没有未办结的期限'
  return deadlineCounts(rows, urgencies)
    .map((c) => `${c.label} ${c.total} 件${c.provisional ? `（暂定 ${c.provisional} 件）` : ''}`)
    .join('，')
}

const PROVISIONAL = '暂定（节假日未发布）'

/** 按紧急程度: confirmed and provisional deadlines stacked per urgency. */
export function deadlineUrgencyOption(rows: DeadlineRow[], urgencies: Labelled[]): ChartOption {
  const counts = deadlineCounts(rows, urgencies)
  return {
    ...BASE,
    tooltip: { trigger: 'axis' },
    // The confirmed bars take their urgency's colour (as the tags below); only the grey part needs a key.
    legend: { bottom: 0, data: [PROVISIONAL] },
    grid: { left: 40, right: 16, top: 24, bottom: 48 },
    xAxis: { type: 'category', data: counts.map((c) => c.label) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        type: 'bar', name: '按已发布日历', stack: 'n', barMaxWidth: 48,
        data: counts.map((c) => ({ value: c.total - c.provisional, itemStyle: { color: urgencyColor(c.urgency) } })),
      },
      {
        // Lighter: the due date may still move when the holiday calendar is published.
        type: 'bar', name: PROVISIONAL, stack: 'n', barMaxWidth: 48,
        itemStyle: { color: COLORS.info, opacity: 0.55 },
        data: counts.map((c) => c.provisional),
      },
    ],
  }
}

/** 按期限类型: each kind of deadline (in the engine's order), stacked by urgency. */
export function deadlineKindOption(rows: DeadlineRow[], urgencies: Labelled[], kindOrder: Labelled[]): ChartOption {
  const kinds: { kind: string; label: string }[] = []
  for (const r of rows) if (!kinds.some((k) => k.kind === r.kind)) kinds.push({ kind: r.kind, label: r.kind_zh })
  const order = kindOrder.map((k) => k.value)
  const rank = (k: string) => (order.indexOf(k) < 0 ? order.length : order.indexOf(k))
  kinds.sort((a, b) => rank(a.kind) - rank(b.kind))
  return {
    ...BASE,
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 200, right: 24, top: 12, bottom: 48 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: kinds.map((k) => k.label) },
    series: urgencies.map(({ value: u, label }) => ({
      type: 'bar' as const, name: label, stack: 'n', barMaxWidth: 24,
      itemStyle: { color: urgencyColor(u) },
      data: kinds.map((k) => rows.filter((r) => r.kind === k.kind && r.urgency === u).length),
    })),
  }
}
