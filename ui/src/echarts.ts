// The part of ECharts the charts use, registered once. Only EChart.vue imports
// this module, with import(), so the library is a separate chunk that the
// window loads the first time a chart is shown (never at start-up).
// SVG renderer: a few dozen shapes per chart; no canvas backing store to keep.
import { init, use } from 'echarts/core'
import { BarChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

use([BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer])

export { init }
