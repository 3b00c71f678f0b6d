/**
 * OpenAPI document at /swagger/json and the Swagger UI at /swagger. The UI's script and
 * stylesheet are served from the swagger-ui-dist package in node_modules, so the page
 * works with no internet access (no CDN, no web fonts).
 */
import { dirname, join } from 'node:path'
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { notFound } from '../../errors'

const ASSET_DIR = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const ASSETS: Record<string, string> = {
	'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
	'swagger-ui.css': 'text/css; charset=utf-8',
}

export function docsRoutes(version: string) {
	return new Elysia({ name: 'byte.docs' })
		.use(
			openapi({
				path: '/swagger',
				specPath: '/swagger/json',
				provider: 'swagger-ui',
				exclude: { paths: ['/metrics', '/swagger/assets/:file'] },
				documentation: {
					info: {
						title: 'Byte API',
						version,
						description:
							'Discord guild settings for the Byte bot. Every response carries X-Correlation-ID; errors are `{"error":{"code","message","correlation_id"}}`.',
					},
					tags: [
						{ name: 'Guilds', description: 'Guilds and their settings' },
						{ name: 'Health', description: 'Probes for orchestrators and load balancers' },
					],
				},
				swagger: {
					cdn: '/swagger/assets/swagger-ui-bundle.js',
					theme: '/swagger/assets/swagger-ui.css',
				},
			}),
		)
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
