/** Small pieces shared by the reliability tests: requests that never hang, log and metric lookups. */
import type { ApiProcess } from '../helpers/process'

export interface Reply {
	status: number
	headers: Headers
	text: string
	json: any
	ms: number
}

/** A request bounded by `timeoutMs`; a network failure or timeout rejects. */
export async function call(
	api: Pick<ApiProcess, 'url'>,
	method: string,
	path: string,
	init: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Reply> {
	const headers = new Headers(init.headers)
	let body: string | undefined
	if (init.body !== undefined) {
		body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
		if (!headers.has('content-type')) headers.set('content-type', 'application/json')
	}
	const start = performance.now()
	const response = await fetch(`${api.url}${path}`, {
		method,
		headers,
		body,
		signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
	})
	const text = await response.text()
	let json: any
	try {
		json = text ? JSON.parse(text) : undefined
	} catch {
		json = undefined
	}
	return { status: response.status, headers: response.headers, text, json, ms: performance.now() - start }
}

/** Sum of every sample of `name` whose labels include all of `labels` (text exposition). */
export function sampleSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
	let sum = 0
	for (const line of exposition.split('\n')) {
		if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
		if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue
		sum += Number(line.slice(line.lastIndexOf(' ') + 1))
	}
	return sum
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function eventually<T>(
	check: () => Promise<T | undefined | false>,
	timeoutMs: number,
	what: string,
): Promise<T> {
	const deadline = Date.now() + timeoutMs
	let last: unknown
	while (Date.now() < deadline) {
		try {
			const value = await check()
			if (value) return value
		} catch (error) {
			last = error
		}
		await Bun.sleep(50)
	}
	throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`)
}

/** The `code` values along an error's `cause` chain in a JSON log line. */
export function causeCodes(error: any): string[] {
	const codes: string[] = []
	for (let e = error, depth = 0; e && depth < 10; e = e.cause, depth++)
		if (e.code !== undefined) codes.push(String(e.code))
	return codes
}
