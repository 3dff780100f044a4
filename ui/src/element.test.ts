import { describe, expect, it } from 'vitest'
import { defineComponent } from 'vue'
import { mount } from '@vue/test-utils'
import { components, installElement } from './element'

// Every source file of the window, as text (excluding tests).
const sources = Object.fromEntries(
  Object.entries(import.meta.glob(['./**/*.vue', './**/*.ts', '!./**/*.test.ts'], { query: '?raw', import: 'default', eager: true }))
    .map(([path, text]) => [path, text as string]),
)
const elementTs = sources['./element.ts']

const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())
const kebab = (name: string) => name.replace(/^El/, '').replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase())
const styleOf = (name: string) => `element-plus/es/components/${kebab(name)}/style/css`

function importsFromElement(text: string): string[] {
  return [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'element-plus'/g)]
    .flatMap((m) => m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean))
}

describe('Element Plus on demand', () => {
  it('finds the window sources', () => {
    expect(Object.keys(sources)).toContain('./App.vue')
    expect(elementTs).toContain('installElement')
  })

  it('every <el-…> tag is registered in element.ts or imported by its file, with its style', () => {
    const missing: string[] = []
    for (const [path, text] of Object.entries(sources)) {
      if (!path.endsWith('.vue')) continue
      const local = importsFromElement(text)
      for (const m of text.matchAll(/<el-([a-z-]+)/g)) {
        const name = 'El' + pascal(m[1])
        if (name in components) continue
        if (local.includes(name) && text.includes(styleOf(name))) continue
        missing.push(`${path}: <el-${m[1]}>`)
      }
    }
    expect(missing).toEqual([])
  })

  it('every registered component has its style imported', () => {
    expect(Object.keys(components).filter((n) => !elementTs.includes(styleOf(n)))).toEqual([])
  })

  it('services (ElMessage …) come with their styles; v-loading is registered when used', () => {
    const missing: string[] = []
    for (const [path, text] of Object.entries(sources)) {
      for (const name of importsFromElement(text)) {
        if (!/^El(Message|MessageBox|Notification|Loading)$/.test(name)) continue
        if (!text.includes(styleOf(name)) && !elementTs.includes(styleOf(name))) missing.push(`${path}: ${name}`)
      }
      if (/\sv-loading\b/.test(text) && !elementTs.includes('vLoading')) missing.push(`${path}: v-loading`)
    }
    expect(missing).toEqual([])
  })

  it('kebab-case tags render the registered components, in Chinese', () => {
    const Probe = defineComponent({
      template: '<div><el-button id="b">确定</el-button><el-table :data="[]" /><el-tag>已超期</el-tag></div>',
    })
    const w = mount(Probe, { global: { plugins: [{ install: installElement }] } })
    expect(w.find('button#b').classes()).toContain('el-button')
    expect(w.find('.el-tag').text()).toBe('已超期')
    expect(w.find('.el-table__empty-text').text()).toBe('暂无数据') // zh-cn locale
    w.unmount()
  })

  it('every <el-tag> appears without the zoom transition', () => {
    // Under WebKitGTK without compositing (our memory settings) the zoom-in
    // transition of a tag can stall part-way: the text shows squeezed or not
    // at all. A counter needs no animation there.
    const animated = Object.entries(sources)
      .filter(([path]) => path.endsWith('.vue'))
      .flatMap(([path, text]) => [...text.matchAll(/<el-tag\b[^>]*>/g)]
        .filter((m) => !/\sdisable-transitions\b/.test(m[0]))
        .map((m) => `${path}: ${m[0]}`))
    expect(animated).toEqual([])
  })
})
