import { createApp } from 'vue'
import { installElement } from './element'
import './style.css'
import App from './App.vue'

const app = createApp(App)
installElement(app)
app.mount('#app')
