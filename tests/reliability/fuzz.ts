/**
 * Seeded generators of hostile HTTP requests for the fuzz test: the same seed yields the
 * same requests, so a failure is reproduced with `FUZZ_SEED=<seed> bun test tests/reliability`.
 */

/** mulberry32: small, fast, good enough to pick test cases reproducibly. */
export function prng(seed: number) {
	let a = seed >>> 0
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0
		let t = a
		t = Math.imul(t ^ (t >>> 15), t | 1)
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296
	}
	return {
		next,
		int: (n: number) => Math.floor(next() * n),
		pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
		chance: (p: number) => next() < p,
	}
}
export type Rng = ReturnType<typeof prng>

/** Secrets sent in headers; none of them may ever reach a log line. */
export const SECRETS = {
	bearer: 'fuzz-bearer-secret-7d1e9c',
	cookie: 'fuzz-cookie-secret-41b0aa',
	metricsToken: 'fuzz-metrics-token-93f2c1',
} as const

/**
 * Correlation IDs the API must refuse (too long, or characters outside [A-Za-z0-9._:-]).
 * Each carries the marker `ZQX`, which no accepted value, route or log text contains, so
 * finding it in a log line or response header means a rejected value leaked.
 */
export const MARKER = 'ZQX'
export function hostileCorrelationIds(): string[] {
	return [
		`${MARKER}<script>alert(1)</script>`,
		`${MARKER} with spaces`,
		`${MARKER}${'a'.repeat(200)}`,
		`${MARKER}/../../etc/passwd`,
		`${MARKER}'; DROP TABLE guild; --`,
		`${MARKER}\u00e9t\u00e9`,
		`${MARKER}%0d%0aSet-Cookie:%20x=1`,
		`${MARKER}{"level":"critical"}`,
		`${MARKER}\tx`,
		`${MARKER}\u001b[31mred`,
		`${MARKER}${'\u2028'}`,
		`${MARKER}=${'9'.repeat(129)}`,
	]
}

const ROUTES = [
	'/api/guilds',
	'/api/guilds/1',
	'/api/guilds/2',
	'/api/guilds/1/github',
	'/api/guilds/1/sotags',
	'/api/guilds/1/allowed-users',
	'/api/guilds/1/forum',
	'/health',
	'/health/live',
	'/health/ready',
	'/metrics',
	'/swagger/json',
]
const ODD_IDS = [
	'0',
	'-1',
	'9223372036854775807',
	'9223372036854775808',
	'99999999999999999999999',
	'1e5',
	'0x10',
	'%00',
	'%2e%2e%2f%2e%2e%2fetc%2fpasswd',
	'..%2F..%2F',
	'%E0%A4%A',
	'%F0%9F%92%A9',
	'__proto__',
	'constructor',
	'prototype',
	"1'%20OR%20'1'='1",
	'1;DROP%20TABLE%20guild',
	'%u0000',
	'%C0%AE%C0%AE',
	'%ff%fe',
]
const ODD_QUERIES = [
	'',
	'?limit=-1',
	'?limit=0',
	'?limit=101',
	'?limit=1e309',
	'?limit=NaN&offset=Infinity',
	'?offset=-5',
	'?offset=99999999999999999999',
	'?limit=1&limit=2',
	'?__proto__[polluted]=1',
	'?constructor[prototype][polluted]=1',
	'?__proto__.polluted=1',
	'?a[b][c][d][e][f]=1',
	`?q=${'x'.repeat(2000)}`,
	'?%00=%00',
	'?%=%',
	'?limit=%ZZ',
]
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const
const ODD_METHODS = ['PROPFIND', 'BREW', 'M-SEARCH', 'PURGE', 'LINK', 'QUERY', 'X'.repeat(60)] as const

const POLLUTERS = [
	'{"__proto__":{"polluted":1}}',
	'{"guildId":"77","guildName":"p","__proto__":{"polluted":1}}',
	'{"constructor":{"prototype":{"polluted":1}}}',
	'{"guildId":"78","guildName":"p","constructor":{"prototype":{"polluted":1}}}',
	'[{"__proto__":{"polluted":1}}]',
	'[{"tagName":"x","__proto__":{"polluted":1}}]',
	'{"githubOrganization":"o","githubRepository":"r","discussionSync":false,"__proto__":{"polluted":1}}',
	'{"guildName":"p","__proto__":{"toString":"boom","valueOf":1}}',
	'{"prototype":{"polluted":1},"guildId":"79","guildName":"p"}',
]

function randomString(rng: Rng, length: number): string {
	const alphabets = [
		'abcdefghijklmnopqrstuvwxyz0123456789',
		'\u0000\u0001\u001b\u007f\u0085\u2028\u2029\ufeff',
		'"\\/{}[],:',
		'\ud800\udc00\udfff\ud83d\ude00',
		'éüßЖ中文😀',
	]
	let out = ''
	for (let i = 0; i < length; i++) {
		const alphabet = rng.pick(alphabets)
		out += alphabet[rng.int(alphabet.length)]
	}
	return out
}

function randomJson(rng: Rng): string {
	const id = () => rng.pick(['1', '2', '3', `${1 + rng.int(1e9)}`, '0', '-1', '9223372036854775808', '', 'abc'])
	const kind = rng.int(14)
	switch (kind) {
		case 0:
			return rng.chance(0.5)
				? JSON.stringify({ guildId: `${100 + rng.int(1e9)}`, guildName: `Fuzz ${rng.int(1e6)}` })
				: JSON.stringify({ guildId: id(), guildName: randomString(rng, 1 + rng.int(40)) })
		case 1:
			return JSON.stringify({ guildName: randomString(rng, rng.int(150)), prefix: randomString(rng, rng.int(8)) })
		case 2:
			return rng.pick(POLLUTERS)
		case 3:
			return '['.repeat(50 + rng.int(50_000)) // unterminated and deep
		case 4: {
			const depth = 30 + rng.int(20_000)
			return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
		}
		case 5:
			return JSON.stringify(
				Array.from({ length: rng.int(300) }, () => ({ tagName: randomString(rng, 1 + rng.int(10)) })),
			)
		case 6:
			return JSON.stringify(Array.from({ length: rng.int(300) }, () => ({ userId: id() })))
		case 7:
			return `{"guildId":"${id()}","guildName":"${'x'.repeat(rng.int(200))}` // truncated
		case 8:
			return JSON.stringify({
				guildId: id(),
				guildName: 'n',
				helpChannelId: rng.pick([null, 1, true, '1', {}, []]),
				extra: 1,
			})
		case 9:
			return JSON.stringify(randomString(rng, 100))
		case 10:
			return rng.pick(['null', 'true', '0', '-0', '1e400', '""', '[]', '{}', '{"":""}', '\ufeff{}'])
		case 11:
			return JSON.stringify({
				helpForum: rng.chance(0.5),
				helpThreadNotifyRoles: Array.from({ length: rng.int(20) }, id),
				helpThreadAutoCloseDays: rng.pick([0, 1, 365, 366, -1, 1.5, 1e308, null]),
			})
		case 12:
			return `{"guildId":"1","guildName":"${'\\u0000'.repeat(1 + rng.int(5))}"}`
		default:
			return randomString(rng, rng.int(500))
	}
}

export interface FetchCase {
	kind: 'fetch'
	method: string
	path: string
	headers: Record<string, string>
	body?: string
	/** Send the body as a stream, so without Content-Length (chunked). */
	chunked: boolean
	/** What the request is, for failure messages. */
	label: string
}

/** The body to hand to `fetch`/`Request`: a stream when the case is chunked. */
export function bodyOf(c: FetchCase): string | ReadableStream<Uint8Array> | undefined {
	if (c.body === undefined || !c.chunked) return c.body
	const bytes = new TextEncoder().encode(c.body)
	const cut = Math.floor(bytes.length / 2)
	return new ReadableStream({
		start(controller) {
			controller.enqueue(bytes.slice(0, cut))
			controller.enqueue(bytes.slice(cut))
			controller.close()
		},
	})
}

/** A request `fetch` can send (header values without CR/LF/NUL, token methods). */
export function fetchCase(rng: Rng, i: number): FetchCase {
	const method = rng.chance(0.1) ? rng.pick(ODD_METHODS) : rng.pick(METHODS)
	let path: string
	const shape = rng.int(6)
	if (shape === 0) path = rng.pick(ROUTES)
	else if (shape === 1)
		path = `/api/guilds/${rng.pick(ODD_IDS)}${rng.pick(['', '/github', '/sotags', '/forum', '/allowed-users', '/nope'])}`
	else if (shape === 2)
		path = `/${Array.from({ length: 1 + rng.int(6) }, () => encodeURIComponent(randomString(rng, 1 + rng.int(12)).toWellFormed())).join('/')}`
	else if (shape === 3)
		path = rng.pick([
			'//api//guilds',
			'/api/guilds/',
			'/API/GUILDS',
			'/api/guilds/1/../../metrics',
			'/./health',
			'/health%2flive',
			'/metrics/',
			'/swagger/../metrics',
		])
	else if (shape === 4) path = `/api/guilds${rng.pick(ODD_QUERIES)}`
	else path = `/${'a/'.repeat(1 + rng.int(2000))}`
	const headers: Record<string, string> = {}
	if (rng.chance(0.3))
		headers['x-correlation-id'] = rng.pick(hostileCorrelationIds().filter((id) => /^[\x20-\x7e]*$/.test(id)))
	else if (rng.chance(0.2)) headers['x-correlation-id'] = `fuzz-${i}`
	if (rng.chance(0.2)) headers.authorization = `Bearer ${SECRETS.bearer}`
	if (rng.chance(0.1)) headers.cookie = `session=${SECRETS.cookie}; theme=dark`
	if (rng.chance(0.05)) headers.authorization = `Bearer ${SECRETS.metricsToken}x`
	let body: string | undefined
	if (rng.chance(0.08)) {
		// A well-formed create among hostile headers: success paths must stay successful.
		body = JSON.stringify({ guildId: `${100 + rng.int(1e9)}`, guildName: `Fuzz ${rng.int(1e6)}` })
		const chunked = rng.chance(0.3)
		return {
			kind: 'fetch',
			method: 'POST',
			path: '/api/guilds',
			headers: { ...headers, 'content-type': 'application/json' },
			body,
			chunked,
			label: `#${i} POST /api/guilds chunked=${chunked} body=${body}`,
		}
	}
	// Bun's fetch sends no body with a method it does not know; raw cases cover those.
	if ((METHODS as readonly string[]).includes(method) && method !== 'GET' && method !== 'HEAD' && rng.chance(0.8)) {
		body = randomJson(rng)
		headers['content-type'] = rng.chance(0.8)
			? 'application/json'
			: rng.pick([
					'text/plain',
					'application/x-www-form-urlencoded',
					'multipart/form-data; boundary=x',
					'application/json; charset=utf-16',
					'application/xml',
					'image/png',
					'',
				])
	}
	if (rng.chance(0.05)) headers['x-filler'] = 'f'.repeat(4000 + rng.int(3000))
	const chunked = body !== undefined && rng.chance(0.15)
	return {
		kind: 'fetch',
		method,
		path,
		headers,
		body,
		chunked,
		label: `#${i} ${method} ${path.slice(0, 80)} chunked=${chunked} body=${body?.slice(0, 60)}`,
	}
}

export interface RawCase {
	kind: 'raw'
	bytes: Uint8Array
	label: string
}

const enc = new TextEncoder()
const chunked = (parts: string[]) =>
	`${parts.map((p) => `${enc.encode(p).length.toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`

/** Bytes `fetch` refuses to send: broken framing, raw control characters, odd request lines. */
export function rawCase(rng: Rng, i: number): RawCase {
	const id = rng.pick(hostileCorrelationIds())
	const kind = rng.int(17)
	let text: string | Uint8Array
	switch (kind) {
		case 0:
			text = `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: ${id}\u0000\r\nConnection: close\r\n\r\n`
			break
		case 1:
			text = `POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{"guildId":"1"` // truncated
			break
		case 2:
			text = `POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked(['{"guildId":', '"5'])}` // chunked, bad JSON
			break
		case 3:
			text = `POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n` // smuggling shape
			break
		case 4:
			text = `GET /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`
			break
		case 5:
			text = `GET /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\nConnection: close\r\n\r\n`
			break
		case 6: {
			const head = enc.encode(
				`POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n`,
			)
			const body = new Uint8Array(40).map((_, k) => (k % 3 === 0 ? 0xff : k % 3 === 1 ? 0xfe : 0xc0)) // invalid UTF-8
			text = new Uint8Array([...head, ...body])
			break
		}
		case 7:
			text = `GET /${'\u00ff\u0001'.repeat(5)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
			break
		case 8:
			text = `${rng.pick(['get', 'G ET', 'GET\t', '\u0000GET', 'PRI', 'GET GET'])} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
			break
		case 9:
			text = `GET / HTTP/${rng.pick(['0.9', '2.0', '1.2', '9.9', 'x'])}\r\nHost: x\r\nConnection: close\r\n\r\n`
			break
		case 10:
			text = `GET /health HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: ${id}\r\n X-Folded: continuation\r\nConnection: close\r\n\r\n`
			break
		case 11:
			text = `GET /api/guilds HTTP/1.1\nHost: x\nX-Correlation-ID: ${id}\nConnection: close\n\n` // bare LF
			break
		case 12:
			text = new Uint8Array(Array.from({ length: 1 + rng.int(300) }, () => rng.int(256)))
			break
		case 13:
			text = `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: ${id}\r\nAuthorization: Bearer ${SECRETS.bearer}\r\nCookie: s=${SECRETS.cookie}\r\nConnection: close\r\n\r\n`
			break
		case 14:
			text = `PATCH /api/guilds/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Correlation-ID: ${id}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked(['{"guildName":', `"${'y'.repeat(50)}"}`])}`
			break
		case 15: {
			const body = randomJson(rng)
			text = `${rng.pick(ODD_METHODS)} /api/guilds${rng.pick(['', '/1'])} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${enc.encode(body).length}\r\nConnection: close\r\n\r\n${body}`
			break
		}
		default:
			text = `GET /api/guilds/1 HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 50 + rng.int(200) }, (_, k) => `X-H${k}: ${'v'.repeat(rng.int(100))}\r\n`).join('')}Connection: close\r\n\r\n`
	}
	const bytes = typeof text === 'string' ? enc.encode(text) : text
	return {
		kind: 'raw',
		bytes,
		label: `#${i} raw kind ${kind}: ${JSON.stringify(new TextDecoder().decode(bytes.slice(0, 80)))}`,
	}
}
