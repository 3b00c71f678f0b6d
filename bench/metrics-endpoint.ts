/**
 * GET /metrics of the API at a given number of series: the server (bench/servers/app.ts)
 * first records N label sets into its HTTP counter and histogram, as bench/metrics-store.ts
 * does; curl on the load core then scrapes it repeatedly. Reported: median time to the
 * first byte and to the last, client side, so rendering, copying and sending all count.
 */
import type { Machine } from './lib/machine'
import { startServer } from './lib/server'
import { median } from './lib/stats'

export interface MetricsEndpointResult {
	series: number
	bytes: number
	firstByteMs: number
	totalMs: number
	/** Server CPU per scrape (user + system, all threads), ms. */
	serverCpuMs: number
}

export async function runMetricsEndpoint(
	machine: Machine,
	series: number,
	scrapes: number,
): Promise<MetricsEndpointResult> {
	const server = await startServer(machine, {
		name: 'metrics-endpoint',
		args: ['bench/servers/app.ts'],
		env: { DATABASE_URL: 'memory://', BENCH_FILL_SERIES: String(series), METRICS_MAX_SERIES: String(series * 2) },
	})
	try {
		const url = `${server.url}/metrics`
		for (let i = 0; i < 3; i++) await fetch(url).then((res) => res.arrayBuffer()) // warm-up
		const firstByte: number[] = []
		const total: number[] = []
		let bytes = 0
		const cpuBefore = server.cpuSeconds()
		for (let i = 0; i < scrapes; i++) {
			const curl = Bun.spawnSync(
				[
					...(machine.pinning?.load ?? []),
					'curl',
					'-s',
					'-o',
					'/dev/null',
					'-w',
					'%{time_starttransfer} %{time_total} %{size_download}',
					url,
				],
				{ stdout: 'pipe' },
			)
			const [start, end, size] = curl.stdout.toString().trim().split(' ').map(Number)
			firstByte.push((start as number) * 1000)
			total.push((end as number) * 1000)
			bytes = size as number
		}
		return {
			series,
			bytes,
			firstByteMs: median(firstByte),
			totalMs: median(total),
			serverCpuMs: ((server.cpuSeconds() - cpuBefore) / scrapes) * 1000,
		}
	} finally {
		await server.stop()
	}
}
