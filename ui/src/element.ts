// Element Plus, only what the window uses. Named imports from the package root
// are tree-shaken by Vite (the package marks only its style files as side
// effects), so the first chunk no longer carries the whole library and its
// full stylesheet. A component used by one lazily loaded view only (the date
// picker) is imported by that view instead. element.test.ts fails when a .vue
// file uses an <el-…> tag that is neither registered here nor imported by the
// file, or an El… service whose style is not imported.
import type { App, Component } from 'vue'
import {
  ElAlert, ElButton, ElCheckbox, ElCheckboxGroup, ElDescriptions, ElDescriptionsItem,
  ElDialog, ElForm, ElFormItem, ElInput, ElOption, ElRadio, ElRadioButton, ElRadioGroup, ElSelect,
  ElTable, ElTableColumn, ElTag, provideGlobalConfig,
} from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'

// Each component's style entry also pulls in the styles of the parts it is
// built from (base variables, popper, scrollbar, tooltip, overlay …).
import 'element-plus/es/components/alert/style/css'
import 'element-plus/es/components/button/style/css'
import 'element-plus/es/components/checkbox/style/css'
import 'element-plus/es/components/checkbox-group/style/css'
import 'element-plus/es/components/descriptions/style/css'
import 'element-plus/es/components/descriptions-item/style/css'
import 'element-plus/es/components/dialog/style/css'
import 'element-plus/es/components/form/style/css'
import 'element-plus/es/components/form-item/style/css'
import 'element-plus/es/components/input/style/css'
import 'element-plus/es/components/option/style/css'
import 'element-plus/es/components/radio/style/css'
import 'element-plus/es/components/radio-button/style/css'
import 'element-plus/es/components/radio-group/style/css'
import 'element-plus/es/components/select/style/css'
import 'element-plus/es/components/table/style/css'
import 'element-plus/es/components/table-column/style/css'
import 'element-plus/es/components/tag/style/css'

/** Registered by name, so templates keep writing <el-button> etc. */
export const components: Record<string, Component> = {
  ElAlert, ElButton, ElCheckbox, ElCheckboxGroup, ElDescriptions, ElDescriptionsItem,
  ElDialog, ElForm, ElFormItem, ElInput, ElOption, ElRadio, ElRadioButton, ElRadioGroup, ElSelect,
  ElTable, ElTableColumn, ElTag,
}

export function installElement(app: App): void {
  for (const [name, c] of Object.entries(components)) app.component(name, c)
  // What app.use(ElementPlus, { locale }) did: Chinese texts (date picker, empty table …).
  provideGlobalConfig({ locale: zhCn }, app, true)
}
