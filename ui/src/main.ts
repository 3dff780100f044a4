import { createApp } from 'vue'
import { getCurrentWindow } from '@tauri-apps/api/window'
import { installElement } from './element'
import './style.css'
import App from './App.vue'
import ApplicantScreen from './ApplicantScreen.vue'

// The applicant-facing window runs the applicant screen, never the clerk's views.
function windowLabel(): string {
  try { return getCurrentWindow().label } catch { return 'main' }
}

const app = createApp(windowLabel() === 'applicant' ? ApplicantScreen : App)
installElement(app)
app.mount('#app')
