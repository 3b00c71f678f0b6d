/**
 * Which route templates serve a path, and with which methods: what a request that no route
 * handled needs to be answered properly (405 with `Allow`, `OPTIONS`, CORS preflight;
 * README "HTTP API") and counted under its template rather than as `unmatched`.
 *
 * Built from the app's public route list (`app.routes`: method and path template), and
 * rebuilt when that list grows (routes may be added after the app is created).
 */

/** A route as Elysia lists it. */
export interface RouteInfo {
	method: string
	path: string
}

/** What serves a path: the most specific matching template and every method served there. */
export interface PathMatch {
	template: string
	/** Methods in the order of {@link METHOD_ORDER}; HEAD wherever GET is served. */
	methods: readonly string[]
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

interface Template {
	path: string
	/** The template as a pattern over whole paths (a trailing slash allowed, as Elysia does). */
	pattern: RegExp
	/** Lower is more specific: static segments beat parameters, parameters beat a wildcard. */
	rank: number
	methods: Set<string>
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function compileTemplate(path: string): { pattern: RegExp; rank: number } {
	let rank = 0
	let source = ''
	for (const segment of path.split('/').slice(1)) {
		if (segment === '*') {
			rank += 100
			source += '(?:/.*)?'
			break
		}
		if (segment.startsWith(':')) {
			rank += 1
			source += '/[^/]+'
		} else source += `/${escapeRegExp(segment)}`
	}
	return { pattern: new RegExp(`^${source || ''}/?$`), rank }
}

function compile(routes: readonly RouteInfo[]): Template[] {
	const byPath = new Map<string, Template>()
	for (const { method, path } of routes) {
		let template = byPath.get(path)
		if (!template) {
			template = { path, ...compileTemplate(path), methods: new Set() }
			byPath.set(path, template)
		}
		const upper = method.toUpperCase()
		if (upper === 'ALL') for (const m of METHOD_ORDER) template.methods.add(m)
		else template.methods.add(upper)
		if (upper === 'GET') template.methods.add('HEAD')
	}
	return [...byPath.values()].sort((a, b) => a.rank - b.rank)
}

/**
 * A matcher over the routes `list()` returns. `match(path)` is undefined when no template
 * serves the path with any method.
 */
export function routeTable(list: () => readonly RouteInfo[]) {
	let compiledFor = -1
	let templates: Template[] = []
	return {
		match(path: string): PathMatch | undefined {
			const routes = list()
			if (routes.length !== compiledFor) {
				templates = compile(routes)
				compiledFor = routes.length
			}
			const methods = new Set<string>()
			let best: Template | undefined
			for (const template of templates) {
				if (!template.pattern.test(path)) continue
				best ??= template
				for (const m of template.methods) methods.add(m)
			}
			if (!best) return undefined
			return { template: best.path, methods: METHOD_ORDER.filter((m) => methods.has(m)) }
		},
	}
}

export type RouteTable = ReturnType<typeof routeTable>
