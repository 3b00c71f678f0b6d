import { readdirSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Registry } from './metrics/index.ts'

/** Options for `registerProcessMetrics`. */
export interface ProcessMetricsOptions {
	/** Application version, exposed as `byte_build_info{version}`. */
	version: string
}

const FD_DIR = '/proc/self/fd'

/** Open file descriptors, or undefined where `/proc` is not available (anything but Linux). */
function countOpenFds(): number | undefined {
	try {
		// The listing includes the descriptor readdir itself opened; it is closed again by now.
		return readdirSync(FD_DIR).length - 1
	} catch {
		return undefined
	}
}

/** Resolution of the event-loop delay histogram, in milliseconds (prom-client's default). */
const EVENT_LOOP_RESOLUTION_MS = 10
const EVENT_LOOP_PERCENTILES = [50, 90, 99] as const

/**
 * Registers the standard process metrics under the names stock dashboards know: client_golang's
 * `process_*`, prom-client's `nodejs_*` for the JavaScript runtime (README "Metrics"), plus
 * `byte_build_info`. Values are sampled at scrape time through `collect` callbacks; the only
 * thing running between scrapes is the runtime's own event-loop delay histogram.
 */
export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions): void {
	registry
		.gauge({
			name: 'process_start_time_seconds',
			help: 'Start time of the process since unix epoch in seconds.',
		})
		.set(performance.timeOrigin / 1000)

	registry.counter({
		name: 'process_cpu_seconds_total',
		help: 'Total user and system CPU time spent in seconds.',
		collect: (counter) => {
			const usage = process.cpuUsage()
			counter.set((usage.user + usage.system) / 1e6)
		},
	})

	registry.gauge({
		name: 'process_resident_memory_bytes',
		help: 'Resident memory size in bytes.',
		collect: (gauge) => gauge.set(process.memoryUsage.rss()),
	})

	registry.gauge({
		name: 'nodejs_heap_size_total_bytes',
		help: 'Process heap size from Node.js in bytes.',
		collect: (gauge) => gauge.set(process.memoryUsage().heapTotal),
	})

	registry.gauge({
		name: 'nodejs_heap_size_used_bytes',
		help: 'Process heap size used from Node.js in bytes.',
		collect: (gauge) => gauge.set(process.memoryUsage().heapUsed),
	})

	registerEventLoopLag(registry)

	if (process.platform === 'linux' && countOpenFds() !== undefined) {
		registry.gauge({
			name: 'process_open_fds',
			help: 'Number of open file descriptors.',
			collect: (gauge) => {
				const fds = countOpenFds()
				if (fds !== undefined) gauge.set(fds)
			},
		})
	}

	registry
		.gauge({
			name: 'byte_build_info',
			help: 'Build information about the running Byte process; the value is always 1.',
			labelNames: ['version', 'bun_version'],
		})
		.labels(options.version, Bun.version)
		.set(1)
}

/**
 * Event-loop delay from `monitorEventLoopDelay`, as prom-client names it: the mean delay and
 * its 50th, 90th and 99th percentiles over the interval since the previous scrape (the
 * histogram starts afresh after each one, as prom-client's does). The registry runs every
 * `collect` before writing, in registration order, so the first gauge takes the interval's
 * snapshot and the percentile gauges read the same one.
 */
function registerEventLoopLag(registry: Registry): void {
	const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
	histogram.enable()
	// Nanoseconds → seconds; an interval without a sample (count 0) reads as 0.
	const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0)
	let snapshot = { mean: 0, percentiles: [0, 0, 0] }
	registry.gauge({
		name: 'nodejs_eventloop_lag_seconds',
		help: 'Lag of event loop in seconds (mean delay since the previous scrape).',
		collect: (gauge) => {
			snapshot = {
				mean: seconds(histogram.mean),
				percentiles: EVENT_LOOP_PERCENTILES.map((p) => seconds(histogram.percentile(p))),
			}
			histogram.reset()
			gauge.set(snapshot.mean)
		},
	})
	EVENT_LOOP_PERCENTILES.forEach((p, i) => {
		registry.gauge({
			name: `nodejs_eventloop_lag_p${p}_seconds`,
			help: `The ${p}th percentile of the recorded event loop delays.`,
			collect: (gauge) => gauge.set(snapshot.percentiles[i] ?? 0),
		})
	})
}
