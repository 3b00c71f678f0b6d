/**
 * compose.yaml: `docker-compose config` accepts it (with a .env made from .env.example,
 * in a scratch project directory so the repository is left untouched), the services are
 * wired to each other and to the files under monitoring/, and the API healthcheck
 * command really tells a ready API from an unready or absent one.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, repoPath, requireTools, run, SLOW, tempDir } from './support'

// Only the `docker-compose config` checks need the tool; the wiring checks read the YAML.
const withCompose = requireTools('docker-compose')
const path = withCompose.path

type Service = {
	build?: string | { context: string }
	image?: string
	command?: string[]
	environment?: Record<string, string>
	env_file?: string | string[]
	healthcheck?: { test: string[]; interval?: string; start_period?: string }
	depends_on?: Record<string, { condition: string }> | string[]
	volumes?: string[]
	ports?: string[]
}
type ComposeFile = { services: Record<string, Service>; volumes?: Record<string, unknown> }
type ResolvedService = Omit<Service, 'volumes'> & { volumes?: { type: string; source: string; target: string }[] }

const composeText = await Bun.file(repoPath('compose.yaml')).text()
const compose = Bun.YAML.parse(composeText) as ComposeFile
const services = compose.services

const project = tempDir('compose')
let resolved: Record<string, ResolvedService> = {}
let configQuiet = { code: -1, output: '' }

beforeAll(async () => {
	if (!path['docker-compose']) return
	// env_file: .env must exist for `config`; the real one is git-ignored and may hold secrets,
	// so the check runs in a scratch project directory holding a copy of .env.example.
	await Bun.write(join(project.path, 'compose.yaml'), composeText)
	await Bun.write(join(project.path, '.env'), Bun.file(repoPath('.env.example')))
	const env: Record<string, string | undefined> = { ...process.env, COMPOSE_PROJECT_NAME: 'byte' }
	for (const key of ['LOG_LEVEL', 'METRICS_TOKEN', 'GF_SECURITY_ADMIN_PASSWORD', 'BYTE_LOG_SEARCH_URL']) delete env[key]
	configQuiet = await run([path['docker-compose'], '-f', 'compose.yaml', 'config', '-q'], { cwd: project.path, env })
	const full = await run([path['docker-compose'], '-f', 'compose.yaml', 'config'], { cwd: project.path, env })
	if (full.code === 0)
		resolved = (Bun.YAML.parse(full.stdout) as { services: Record<string, ResolvedService> }).services
}, SLOW)
afterAll(() => project.remove())

describe('docker-compose config', () => {
	withCompose.test('accepts compose.yaml', () => {
		expect(configQuiet.output).toBe('')
		expect(configQuiet.code).toBe(0)
	})

	withCompose.test('resolves the five services with .env.example feeding the bot', () => {
		expect(Object.keys(resolved).sort()).toEqual(['api', 'bot', 'grafana', 'postgres', 'prometheus'])
		// env_file content lands in the bot's environment: .env.example lists DISCORD_TOKEN.
		expect(resolved.bot?.environment).toHaveProperty('DISCORD_TOKEN')
		expect(resolved.api?.environment?.METRICS_TOKEN).toBe('')
		expect(resolved.api?.environment?.LOG_LEVEL).toBe('info')
		expect(resolved.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('admin')
	})
})

describe('compose.yaml wiring', () => {
	test('postgres: postgres:16, named volume, pg_isready healthcheck', () => {
		const pg = services.postgres!
		expect(pg.image).toBe('postgres:16')
		expect(pg.volumes).toContain('postgres-data:/var/lib/postgresql/data')
		expect(compose.volumes).toHaveProperty('postgres-data')
		expect(pg.healthcheck?.test.join(' ')).toContain('pg_isready')
		const env = pg.environment!
		expect(`postgres://${env.POSTGRES_USER}:${env.POSTGRES_PASSWORD}@postgres:5432/${env.POSTGRES_DB}`).toBe(
			services.api?.environment?.DATABASE_URL ?? '',
		)
	})

	test('api: built from the Dockerfile, PostgreSQL URL, all interfaces, waits for a healthy database', () => {
		const api = services.api!
		expect(api.build).toBe('.')
		expect(api.environment).toMatchObject({
			DATABASE_URL: 'postgres://byte:byte@postgres:5432/byte',
			HOST: '0.0.0.0',
			PORT: '8000',
		})
		expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
		expect(api.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'bun', '-e'])
		expect(api.healthcheck?.test[3]).toContain('http://127.0.0.1:8000/health/ready')
	})

	test('bot: same image, `bun run bot`, .env, API and metrics port matching prometheus.yml', async () => {
		const bot = services.bot!
		expect(bot.build).toBe(services.api?.build)
		expect(bot.command).toEqual(['bun', 'run', 'bot'])
		expect(bot.env_file).toBe('.env')
		expect(bot.environment).toMatchObject({ API_URL: 'http://api:8000', BOT_METRICS_PORT: '9100' })
		expect(Object.keys(bot.environment ?? {})).toEqual(
			expect.arrayContaining(['DISCORD_SHARD_COUNT', 'DISCORD_SHARD_IDS', 'BOT_SYNC_CONCURRENCY', 'API_TOKEN']),
		)
		expect(bot.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'bun', '-e'])
		expect(bot.healthcheck?.test[3]).toContain('http://127.0.0.1:9100/health/ready')
		expect(bot.depends_on).toEqual({ api: { condition: 'service_healthy' } })
		expect(await Bun.file(repoPath('.gitignore')).text()).toMatch(/^\.env$/m)
		expect(await Bun.file(repoPath('.env.example')).text()).toMatch(/^DISCORD_TOKEN=/m)
	})

	test('prometheus: exemplar storage on, config from monitoring/prometheus', () => {
		const prometheus = services.prometheus!
		expect(prometheus.image).toMatch(/^prom\/prometheus:v\d/)
		expect(prometheus.command).toContain('--enable-feature=exemplar-storage')
		expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml')
		expect(prometheus.volumes).toContain('./monitoring/prometheus:/etc/prometheus:ro')
	})

	test('grafana: anonymous Viewer, admin password from the environment, provisioning mounted where it points', async () => {
		const grafana = services.grafana!
		expect(grafana.image).toMatch(/^grafana\/grafana:\d/)
		expect(grafana.environment).toMatchObject({
			GF_AUTH_ANONYMOUS_ENABLED: 'true',
			GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
			GF_SECURITY_ADMIN_PASSWORD: '${GF_SECURITY_ADMIN_PASSWORD:-admin}',
		})
		expect(grafana.volumes).toContain('./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro')
		const dashboardsMount = grafana.volumes?.find((v) => v.startsWith('./monitoring/grafana/dashboards:'))
		expect(dashboardsMount).toBeDefined()
		const provider = Bun.YAML.parse(
			await Bun.file(repoPath('monitoring/grafana/provisioning/dashboards/byte.yml')).text(),
		) as { providers: { type: string; options: { path: string } }[] }
		expect(provider.providers[0]?.type).toBe('file')
		expect(dashboardsMount).toBe(`./monitoring/grafana/dashboards:${provider.providers[0]?.options.path}:ro`)
		expect(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
			`${provider.providers[0]?.options.path}/byte.json`,
		)
		const datasources = Bun.YAML.parse(
			await Bun.file(repoPath('monitoring/grafana/provisioning/datasources/prometheus.yml')).text(),
		) as { datasources: { uid: string; url: string; jsonData: { exemplarTraceIdDestinations: { name: string }[] } }[] }
		const prometheusSource = datasources.datasources[0]!
		expect(prometheusSource.uid).toBe('prometheus')
		expect(prometheusSource.url).toBe('http://prometheus:9090')
		expect(services.prometheus?.ports).toContain('9090:9090')
		expect(prometheusSource.jsonData.exemplarTraceIdDestinations.map((d) => d.name)).toEqual(['correlation_id'])
	})

	test('every relative path it mounts or builds from exists in the repository', () => {
		const paths = new Set<string>()
		for (const service of Object.values(services)) {
			if (typeof service.build === 'string') paths.add(service.build)
			for (const volume of service.volumes ?? []) {
				const source = volume.split(':')[0]!
				if (source.startsWith('.')) paths.add(source)
			}
		}
		expect(paths.size).toBeGreaterThan(3)
		for (const p of paths) expect({ path: p, exists: existsSync(repoPath(p)) }).toEqual({ path: p, exists: true })
		expect(existsSync(repoPath('Dockerfile'))).toBe(true)
	})
})

// Both healthchecks probe /health/ready: the API's is 503 without a database, the bot's while
// any of its shards is not ready.
for (const [service, port] of [
	['api', 8000],
	['bot', 9100],
] as const) {
	describe(`the ${service} healthcheck command`, () => {
		const script = (services[service]?.healthcheck?.test[3] ?? '') as string

		async function probe(to: number) {
			const local = script.replace(`127.0.0.1:${port}`, `127.0.0.1:${to}`)
			expect(local).not.toBe(script)
			return (await run(['bun', '-e', local])).code
		}

		test(
			'exits 0 on 200 from /health/ready and 1 on 503 or when nothing listens',
			async () => {
				let status = 200
				const seen: string[] = []
				const server = Bun.serve({
					hostname: '127.0.0.1',
					port: 0,
					fetch(request) {
						seen.push(new URL(request.url).pathname)
						return Response.json({ status: status === 200 ? 'ok' : 'unavailable' }, { status })
					},
				})
				try {
					expect(await probe(server.port!)).toBe(0)
					status = 503
					expect(await probe(server.port!)).toBe(1)
					expect(seen).toEqual(['/health/ready', '/health/ready'])
				} finally {
					await server.stop(true)
				}
				expect(await probe(freePort())).toBe(1)
			},
			SLOW,
		)
	})
}
