import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import EChart from './components/EChart.vue'
import type { ChartOption } from './charts'

// ECharts itself needs a real layout engine; the component's job is loading it,
// handing it the option, and disposing of it.
const chart = { setOption: vi.fn(), resize: vi.fn(), dispose: vi.fn() }
const init = vi.fn((_el: HTMLElement, _theme?: unknown, _opts?: unknown) => chart)
vi.mock('./echarts', () => ({ init }))

describe('EChart', () => {
  it('loads ECharts on mount, replaces the option on change, disposes on unmount', async () => {
    const first: ChartOption = { series: [{ type: 'bar', data: [1, 2] }] }
    const w = mount(EChart, { props: { option: first, label: '测试图表' } })
    await vi.dynamicImportSettled()
    expect(init).toHaveBeenCalledTimes(1)
    expect(init.mock.calls[0][0]).toBeInstanceOf(HTMLDivElement)
    expect(init.mock.calls[0][2]).toEqual({ renderer: 'svg' })
    expect(chart.setOption).toHaveBeenLastCalledWith(first)
    expect(w.attributes('aria-label')).toBe('测试图表')

    const second: ChartOption = { series: [{ type: 'bar', data: [3] }] }
    await w.setProps({ option: second })
    expect(chart.setOption).toHaveBeenLastCalledWith(second, true)

    w.unmount()
    expect(chart.dispose).toHaveBeenCalledTimes(1)
  })
})
