import { readdirSync } from 'node:fs'
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

/**
 * Registers the standard process metrics (names as in client_golang, so stock dashboards work)
 * plus `byte_build_info`. Values are sampled at scrape time through `collect` callbacks, so
 * nothing runs between scrapes.
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
		name: 'process_heap_bytes',
		help: 'Size of the JavaScript heap in bytes.',
		collect: (gauge) => gauge.set(process.memoryUsage().heapTotal),
	})

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
