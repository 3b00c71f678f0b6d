/**
 * Memory under a flood: the API (bench/servers/app.ts, PGlite in memory, JSON logs to a file)
 * takes N requests to unique unmatched paths, then N to one valid route (/health/live), sent
 * by the bench process itself with 32 concurrent fetches. Before and after
 * each, it runs a full GC (SIGUSR2) and the bench reads its RSS from /proc and its series
 * from /metrics. Unique paths must add no series: unmatched routes share one label value.
 */
import type { Machine } from './lib/machine'
import { type RunningServer, startServer } from './lib/server'

export interface MemoryPoint {
	label: string
	requests: number
	rssBytes: number
	heapBytes: number
	/** Sample lines in the text exposition (every series of every family). */
	series: number
	/** Series of http_requests_total alone. */
	httpSeries: number
}

export interface MemoryResult {
	requestsPerPhase: number
	points: MemoryPoint[]
}

/**
 * Sends exactly `requests` GETs over `concurrency` keep-alive connections (wrk can stop
 * sending after a count, but then still waits out its whole duration).
 */
async function flood(url: (i: number) => string, requests: number, concurrency = 32): Promise<number> {
	let next = 0
	let done = 0
	const worker = async () => {
		while (next < requests) {
			const i = next++
			const res = await fetch(url(i))
			await res.arrayBuffer()
			done++
		}
	}
	await Promise.all(Array.from({ length: concurrency }, worker))
	return done
}

async function snapshot(server: RunningServer, label: string, requests: number): Promise<MemoryPoint> {
	process.kill(server.pid, 'SIGUSR2') // full GC in the server
	await Bun.sleep(1000)
	const text = await (await fetch(`${server.url}/metrics`)).text()
	const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
	const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]
	return {
		label,
		requests,
		rssBytes: server.rssBytes(),
		heapBytes: heap === undefined ? Number.NaN : Number(heap),
		series: lines.length,
		httpSeries: lines.filter((line) => line.startsWith('http_requests_total{')).length,
	}
}

export async function runMemory(
	machine: Machine,
	requests: number,
	log: (line: string) => void,
): Promise<MemoryResult> {
	const server = await startServer(machine, {
		name: 'memory',
		args: ['bench/servers/app.ts'],
		env: { DATABASE_URL: 'memory://' },
	})
	try {
		let unique = 0
		const unmatched = () => `${server.url}/bench/unique/${unique++}/${Math.random().toString(36).slice(2)}`
		const valid = () => `${server.url}/health/live`
		// Warm-up: JIT, first series of each kind, buffers at their working size.
		await flood(unmatched, 20_000)
		await flood(valid, 20_000)
		// The snapshots' own scrapes are requests too: make their series exist beforehand.
		await fetch(`${server.url}/metrics`).then((res) => res.arrayBuffer())
		server.truncateStdout()
		const points = [await snapshot(server, 'after warm-up (20,000 of each)', 0)]
		log(`    flooding ${requests.toLocaleString('en-US')} unique unmatched paths`)
		const sentUnique = await flood(unmatched, requests)
		server.truncateStdout()
		points.push(await snapshot(server, 'after unique unmatched paths', sentUnique))
		log(`    ${requests.toLocaleString('en-US')} requests to GET /health/live`)
		const sentValid = await flood(valid, requests)
		points.push(await snapshot(server, 'after one valid route', sentValid))
		return { requestsPerPhase: requests, points }
	} finally {
		await server.stop()
	}
}
