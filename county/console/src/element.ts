// Element Plus, only what the console uses (named imports are tree-shaken;
// each component's style entry brings the styles it is built from).
import type { App, Component } from 'vue'
import {
  ElAlert, ElButton, ElDatePicker, ElDialog, ElForm, ElFormItem, ElInput, ElOption,
  ElPagination, ElSelect, ElSwitch, ElTable, ElTableColumn, ElTag, provideGlobalConfig,
} from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/es/components/alert/style/css'
import 'element-plus/es/components/button/style/css'
import 'element-plus/es/components/date-picker/style/css'
import 'element-plus/es/components/dialog/style/css'
import 'element-plus/es/components/form/style/css'
import 'element-plus/es/components/form-item/style/css'
import 'element-plus/es/components/input/style/css'
import 'element-plus/es/components/option/style/css'
import 'element-plus/es/components/pagination/style/css'
import 'element-plus/es/components/select/style/css'
import 'element-plus/es/components/switch/style/css'
import 'element-plus/es/components/table/style/css'
import 'element-plus/es/components/table-column/style/css'
import 'element-plus/es/components/tag/style/css'

export const components: Record<string, Component> = {
  ElAlert, ElButton, ElDatePicker, ElDialog, ElForm, ElFormItem, ElInput, ElOption,
  ElPagination, ElSelect, ElSwitch, ElTable, ElTableColumn, ElTag,
}

export function installElement(app: App): void {
  for (const [name, c] of Object.entries(components)) app.component(name, c)
  provideGlobalConfig({ locale: zhCn }, app, true)
}
