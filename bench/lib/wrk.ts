/** Load from wrk (Debian package `wrk`), pinned to the load core when the machine has one. */
import type { Machine } from './machine'

export interface WrkOptions {
	url: string
	seconds: number
	connections?: number
	/** A wrk Lua script (e.g. to vary the path per request). */
	script?: string
	env?: Record<string, string>
}

export interface WrkResult {
	requestsPerSecond: number
	requests: number
	latencyP50Ms: number
	latencyP99Ms: number
	/** Responses with a status outside 2xx/3xx (expected for the 404 cases). */
	non2xx: number
	socketErrors: number
}

function toMs(value: string, unit: string): number {
	const n = Number(value)
	switch (unit) {
		case 'us':
			return n / 1000
		case 'ms':
			return n
		case 's':
			return n * 1000
		case 'm':
			return n * 60_000
		default:
			return Number.NaN
	}
}

export function parseWrk(output: string): WrkResult {
	const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output)
	const total = /^\s*(\d+) requests in/m.exec(output)
	if (!rps || !total) throw new Error(`cannot parse wrk output:\n${output}`)
	const percentile = (p: string) => {
		const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output)
		return m ? toMs(m[1] as string, m[2] as string) : Number.NaN
	}
	const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
	return {
		requestsPerSecond: Number(rps[1]),
		requests: Number(total[1]),
		latencyP50Ms: percentile('50'),
		latencyP99Ms: percentile('99'),
		non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
		socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
	}
}

export async function wrk(machine: Machine, options: WrkOptions): Promise<WrkResult> {
	const args = [
		...(machine.pinning?.load ?? []),
		'wrk',
		'-t1',
		`-c${options.connections ?? 32}`,
		`-d${options.seconds}s`,
		'--latency',
		...(options.script ? ['-s', options.script] : []),
		options.url,
	]
	const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...options.env } })
	const [out, err, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	if (code !== 0) throw new Error(`wrk exited with ${code}: ${err || out}`)
	return parseWrk(out)
}
