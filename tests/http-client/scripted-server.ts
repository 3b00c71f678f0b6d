/**
 * A real local HTTP server whose answers a test scripts per request number, recording what
 * arrived (method, path, headers, body, arrival time) so tests assert on the wire, not on
 * the client's internals.
 */
import { afterEach } from 'bun:test'

export interface ReceivedRequest {
	method: string
	path: string
	search: string
	headers: Headers
	body: string
	/** `performance.now()` at arrival. */
	at: number
}

/** `n` is the 1-based number of the request within this server's life. */
export type Script = (request: Request, n: number, body: string) => Response | Promise<Response>

export function startScriptedServer(script: Script) {
	const requests: ReceivedRequest[] = []
	const server = Bun.serve({
		hostname: '127.0.0.1',
		port: 0,
		async fetch(request) {
			const url = new URL(request.url)
			const body = await request.text()
			requests.push({
				method: request.method,
				path: url.pathname,
				search: url.search,
				headers: request.headers,
				body,
				at: performance.now(),
			})
			return script(request, requests.length, body)
		},
	})
	return {
		url: `http://127.0.0.1:${server.port}`,
		requests,
		/** Correlation IDs received, one per request. */
		correlationIds: () => requests.map((r) => r.headers.get('x-correlation-id')),
		stop: () => server.stop(true),
	}
}

/** A port with nothing listening (bound, then released), for connection-refused cases. */
export function closedPortUrl(): string {
	const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
	const port = server.port
	server.stop(true)
	return `http://127.0.0.1:${port}`
}

export const errorBody = (code: string, message: string, correlationId = 'server-side') => ({
	error: { code, message, correlation_id: correlationId },
})

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
	Response.json(body, { status, headers })

/**
 * Returns a `serve(script)` for one test file: every server it starts is stopped after
 * each test, so no test sees another's server.
 */
export function scriptedServers(): (script: Script) => ReturnType<typeof startScriptedServer> {
	const servers: Array<ReturnType<typeof startScriptedServer>> = []
	afterEach(() => {
		for (const s of servers.splice(0)) s.stop()
	})
	return (script) => {
		const server = startScriptedServer(script)
		servers.push(server)
		return server
	}
}
