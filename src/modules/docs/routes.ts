/**
 * The OpenAPI document at /swagger/json and the Swagger UI at /swagger (README "HTTP API").
 * The UI's script and stylesheet are served from the swagger-ui-dist package in
 * node_modules, so the page works with no internet access (no CDN, no web fonts).
 *
 * The document is generated from the routes' `t` models by @elysiajs/openapi's
 * `toOpenAPISchema`, then completed where the generator falls short of what the UI needs
 * to write: a route with its own body parser gets a request body with no media type (so
 * "Try it out" has no body editor and sends nothing), a 204 gets a JSON body, and the
 * bearer scheme of API_TOKEN is declared for the Authorize button, and Elysia's model `$id`s
 * are dropped (they would break the UI's reference resolution).
 */
import { dirname, join } from 'node:path'
import { toOpenAPISchema } from '@elysiajs/openapi'
import { type AnyElysia, Elysia } from 'elysia'
import { notFound } from '../../errors'

const ASSET_DIR = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const ASSETS: Record<string, string> = {
	'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
	'swagger-ui.css': 'text/css; charset=utf-8',
}
const SPEC_PATH = '/swagger/json'
const BEARER_SCHEME = 'bearerAuth'

export interface DocsOptions {
	version: string
	/** The whole app, read when the document is first asked for (after every route is registered). */
	app: () => AnyElysia
	/** Path prefix that requires a bearer token (API_TOKEN set): the scheme and the 401s are declared there. Unset: open. */
	protectedPrefix?: string
}

type Operation = {
	requestBody?: { content?: Record<string, unknown>; required?: boolean; description?: string }
	responses?: Record<string, { description?: string; content?: unknown }>
	security?: Record<string, string[]>[]
}
type Document = ReturnType<typeof toOpenAPISchema> & Record<string, unknown>

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** A route's body schema as the document should show it: a reference to a named model, or the schema. */
function bodySchema(body: unknown): unknown {
	if (typeof body === 'string') return ref(body)
	// A plain copy drops TypeBox's symbol keys; what is left is JSON Schema.
	return withoutIds(body)
}

/**
 * Removes `$id` keys and Elysia's custom validation messages. Elysia marks each named model
 * with `$id: "#/components/schemas/<name>"`; in OpenAPI 3.1 a `$id` sets a new base URI for
 * the references beneath it, so the UI's resolver then fails to find `#/components/...`
 * inside a schema that embeds a model. A string `error` is the message a 422 gives for the
 * schema (not a JSON Schema keyword); an `error` property of an object schema is kept.
 */
function withoutIds(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(withoutIds)
	if (value === null || typeof value !== 'object') return value
	const copy: Record<string, unknown> = {}
	for (const [key, child] of Object.entries(value))
		if (key !== '$id' && !(key === 'error' && typeof child === 'string')) copy[key] = withoutIds(child)
	return copy
}

function complete(generated: Document, app: AnyElysia, options: DocsOptions): Document {
	const doc = withoutIds(generated) as Document
	const paths = doc.paths as Record<string, Record<string, Operation>>
	for (const route of app.routes) {
		const path = route.path.replace(/:([^/]+)/g, '{$1}')
		const operation = paths[path]?.[route.method.toLowerCase()]
		if (!operation) continue
		const body = (route.hooks as { body?: unknown }).body
		if (body !== undefined && operation.requestBody && Object.keys(operation.requestBody.content ?? {}).length === 0)
			operation.requestBody.content = { 'application/json': { schema: bodySchema(body) } }
		const noContent = operation.responses?.['204']
		if (noContent) operation.responses!['204'] = { description: noContent.description ?? 'No content' }
		const prefix = options.protectedPrefix
		if (prefix !== undefined && (path === prefix || path.startsWith(`${prefix}/`))) {
			operation.security = [{ [BEARER_SCHEME]: [] }]
			operation.responses = {
				...operation.responses,
				401: {
					description: 'No valid bearer token (API_TOKEN)',
					content: { 'application/json': { schema: ref('Unauthorized') } },
				},
			}
		}
	}
	if (options.protectedPrefix !== undefined)
		doc.components = {
			...doc.components,
			securitySchemes: {
				[BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'One of the tokens in API_TOKEN' },
			},
		} as Document['components']
	return doc
}

function page(title: string): string {
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${title}</title>
<link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger/assets/swagger-ui-bundle.js"></script>
<script>
window.onload = () => {
	window.ui = SwaggerUIBundle({ url: '${SPEC_PATH}', dom_id: '#swagger-ui', deepLinking: true })
}
</script>
</body>
</html>
`
}

export function docsRoutes(options: DocsOptions) {
	const info = {
		title: 'Byte API',
		version: options.version,
		description:
			'Discord guild settings for the Byte bot. Every response carries X-Correlation-ID; errors are `{"error":{"code","message","correlation_id"}}`.',
	}
	const html = page(info.title)
	let cached: { routes: number; doc: Document } | undefined

	function document(): Document {
		const app = options.app()
		if (cached?.routes === app.routes.length) return cached.doc
		// Hidden routes (/metrics, these docs, the catch-all) are left out by the generator.
		const generated = toOpenAPISchema(app)
		const doc = complete(
			{
				openapi: '3.1.0',
				info,
				tags: [
					{ name: 'Guilds', description: 'Guilds and their settings' },
					{ name: 'Health', description: 'Probes for orchestrators and load balancers' },
				],
				...generated,
			} as Document,
			app,
			options,
		)
		cached = { routes: app.routes.length, doc }
		return doc
	}

	return new Elysia({ name: 'byte.docs' })
		.get('/swagger', () => new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }), {
			detail: { hide: true },
		})
		.get(SPEC_PATH, () => Response.json(document()), { detail: { hide: true } })
		.get(
			'/swagger/assets/:file',
			({ params, set }) => {
				const type = ASSETS[params.file]
				if (!type) throw notFound('No such asset')
				set.headers['content-type'] = type
				set.headers['cache-control'] = 'public, max-age=86400'
				return Bun.file(join(ASSET_DIR, params.file))
			},
			{ detail: { hide: true } },
		)
}
