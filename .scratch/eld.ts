import { monitorEventLoopDelay } from 'node:perf_hooks'
const h = monitorEventLoopDelay({ resolution: 10 })
h.enable()
setTimeout(() => { const t = Date.now(); while (Date.now() - t < 50); }, 100)
setTimeout(() => { console.log(h.mean / 1e6, h.percentile(50) / 1e6, h.percentile(99) / 1e6, h.max / 1e6, h.count); h.reset(); console.log(h.count, h.mean) }, 500)
