// The window decides nothing the engine owns. This check reads every view,
// component and module of the UI and fails on the shapes a restated rule
// takes: a decision on a case state, a 好差评 target, a rule's number, a
// table of setting keys, an enumeration's Chinese label.
import { describe, expect, it } from 'vitest'

// Every source of the window as text (Vite's glob import: no Node API needed).
const SOURCES = import.meta.glob<string>(['./**/*.ts', './**/*.vue', '!./**/*.test.ts', '!./**/*.d.ts'], {
  query: '?raw', import: 'default', eager: true,
})

/** Code without comments: a comment may explain a rule, code may not hold one. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/<!--[\s\S]*?-->/g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

// The case states as they travel (wire names); the engine labels them.
const STATES = [
  'registered', 'awaiting_materials', 'accepted', 'accepted_with_commitment', 'supplement_overdue',
  'in_progress', 'completed_approved', 'completed_denied', 'rejection_pending_approval', 'rejected',
  'withdrawn', 'terminated',
]

interface Finding { file: string; rule: string; text: string }

/** What the check finds in one source text. */
export function findRestatedRules(file: string, text: string): Finding[] {
  const c = code(text)
  const found: Finding[] = []
  const hit = (rule: string, re: RegExp) => {
    for (const m of c.matchAll(re)) found.push({ file, rule, text: m[0] })
  }
  const states = STATES.join('|')
  // A decision on a state: `state === 'accepted'`, `case 'rejected':`.
  hit('compares a case state', new RegExp(`state\\s*[!=]==?\\s*['"\`](${states})['"\`]`, 'g'))
  hit('compares a case state', new RegExp(`['"\`](${states})['"\`]\\s*[!=]==?\\s*[\\w.]*state\\b`, 'g'))
  hit('switches on a case state', new RegExp(`case\\s+['"\`](${states})['"\`]\\s*:`, 'g'))
  // 好差评 targets and their texts (the engine sends TargetCheck).
  hit('a 好差评 target', /\b0\.(9|90|15)\b/g)
  hit('a 好差评 target', /[≥≤]\s*\d+(\.\d+)?\s*%/g)
  // A map keyed by setting keys restates the registry (labels, who may change them).
  hit('a table of setting keys', /(^|[{,])\s*['"](printer|office|remedy|deadline|fonts|notice|sync)\.[a-z_.-]+['"]\s*:/gm)
  // Labels the engine gives (urgency, deadline kind, target names).
  hit('an engine label', /['"`](已超期|今日到期|即将到期|预警提前工作日|出文机关|行政复议机关|评价率（)/g)
  // 好差评 levels are the county's scale, sent by the engine with which are
  // good and which need reasons: no level label or level decision here.
  hit('a 好差评 level', /['"`](非常满意|满意|基本满意|不满意|非常不满意)['"`]/g)
  hit('a 好差评 level', /level(\.value)?\s*[!=]==?\s*['"`](very_satisfied|satisfied|basically_satisfied|dissatisfied|very_dissatisfied)['"`]/g)
  // The at-risk default.
  hit('the at-risk default', /at_risk_days[^\n]*\?\?\s*\d/g)
  return found
}

describe('the window restates no rule of the engine', () => {
  it('finds none in the UI sources', () => {
    const files = Object.entries(SOURCES)
    expect(files.length).toBeGreaterThan(10)
    const found = files.flatMap(([f, text]) => findRestatedRules(f, text))
    expect(found).toEqual([])
  })

  it('would have caught the notice-for-state table and the hard-coded targets', () => {
    // The shapes removed from logic.ts, charts.ts and EvalStatsView.vue.
    const old = `
      export function noticeKindForState(state: string) {
        switch (state) { case 'rejection_pending_approval': case 'rejected': return 'rejection_notice' }
      }
      export const TARGETS = { evaluation_rate: 0.9, default_rate: 0.15 }
      const buttons = computed(() => (c.value.state === 'registered' ? [] : []))
      <el-descriptions-item label="评价率（≥90%）">
      const OFFICE = { 'office.name': '出文机关' }
      const level = ref('satisfied'); const r = level.value === 'dissatisfied' ? reasons : []
      data: [{ name: '满意', value: s.satisfied }]`
    const rules = findRestatedRules('old.ts', old).map((f) => f.rule)
    expect(rules).toContain('switches on a case state')
    expect(rules).toContain('compares a case state')
    expect(rules).toContain('a 好差评 target')
    expect(rules).toContain('a table of setting keys')
    expect(rules).toContain('an engine label')
    expect(rules).toContain('a 好差评 level')
  })

  it('lets comments explain a rule', () => {
    expect(findRestatedRules('x.ts', '// 评价率 ≥90% is the engine\'s target\nconst a = 1')).toEqual([])
  })
})
