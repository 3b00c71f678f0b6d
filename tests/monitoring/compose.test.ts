/**
 * compose.yaml: `docker-compose config` accepts it with no .env at all, with .env.example
 * copied to .env, with a .env of custom values, and with the `tracing` profile (asked for on
 * the command line, or switched on in .env) (each in a scratch project directory, so the
 * repository and any real .env are left untouched); each service receives only its own
 * variables; host ports bind 127.0.0.1; the services are wired to each other and to the
 * files under monitoring/; and the API healthcheck command really tells a ready API from an
 * unready or absent one.
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
	profiles?: string[]
	user?: string
	entrypoint?: string[]
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

/** Every variable compose.yaml interpolates, unset so the shell running the tests cannot leak in. */
const INTERPOLATED = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!)
/** What docker-compose itself reads from the shell or .env (the profiles to start). */
const COMPOSE_OWN = ['COMPOSE_PROFILES']

/** The lines .env.example gives to switch the tracing profile on (README "Tracing with compose"). */
const TRACING_ENV = [
	'COMPOSE_PROFILES=tracing',
	'OTEL_EXPORTER_OTLP_ENDPOINT=http://tempo:4318',
	'BYTE_TRACES_DATASOURCE=tempo',
].join('\n')

const CUSTOM_ENV = [
	'DISCORD_TOKEN=discord-secret',
	'API_TOKEN=api-secret',
	'POSTGRES_PASSWORD=pg-secret',
	'GF_SECURITY_ADMIN_PASSWORD=grafana-secret',
	'METRICS_TOKEN=metrics-secret',
	'LOG_LEVEL=debug',
].join('\n')

interface Resolved {
	quiet: { code: number; output: string }
	services: Record<string, ResolvedService>
}

const projects: { remove(): void }[] = []
type Setup = 'none' | 'example' | 'custom' | 'profile' | 'tracing'
const unresolved = (): Resolved => ({ quiet: { code: -1, output: '' }, services: {} })
const resolved: Record<Setup, Resolved> = {
	none: unresolved(),
	example: unresolved(),
	custom: unresolved(),
	profile: unresolved(),
	tracing: unresolved(),
}

async function resolve(dotenv: string | undefined, flags: string[] = []): Promise<Resolved> {
	const project = tempDir('compose')
	projects.push(project)
	await Bun.write(join(project.path, 'compose.yaml'), composeText)
	if (dotenv !== undefined) await Bun.write(join(project.path, '.env'), dotenv)
	const env: Record<string, string | undefined> = { ...process.env, COMPOSE_PROJECT_NAME: 'byte' }
	for (const key of [...INTERPOLATED, ...COMPOSE_OWN]) delete env[key]
	const docker = path['docker-compose']
	const quiet = await run([docker, ...flags, '-f', 'compose.yaml', 'config', '-q'], { cwd: project.path, env })
	const full = await run([docker, ...flags, '-f', 'compose.yaml', 'config'], { cwd: project.path, env })
	const parsed =
		full.code === 0 ? (Bun.YAML.parse(full.stdout) as { services: Record<string, ResolvedService> }) : undefined
	return { quiet: { code: quiet.code, output: quiet.output }, services: parsed?.services ?? {} }
}

beforeAll(async () => {
	if (!path['docker-compose']) return
	resolved.none = await resolve(undefined)
	resolved.example = await resolve(await Bun.file(repoPath('.env.example')).text())
	resolved.custom = await resolve(CUSTOM_ENV)
	resolved.profile = await resolve(undefined, ['--profile', 'tracing'])
	resolved.tracing = await resolve(`${CUSTOM_ENV}\n${TRACING_ENV}\n`)
}, SLOW)
afterAll(() => {
	for (const project of projects) project.remove()
})

// What each service may be handed; anything else (Grafana's password in the bot, …) fails.
const ALLOWED: Record<string, string[]> = {
	postgres: ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'],
	api: [
		'DATABASE_URL',
		'HOST',
		'PORT',
		'LOG_FORMAT',
		'LOG_LEVEL',
		'METRICS_TOKEN',
		'API_TOKEN',
		'OTEL_EXPORTER_OTLP_ENDPOINT',
	],
	bot: [
		'DISCORD_TOKEN',
		'DISCORD_DEV_GUILD_ID',
		'DISCORD_API_URL',
		'API_URL',
		'API_TOKEN',
		'LOG_LEVEL',
		'METRICS_TOKEN',
		'BOT_METRICS_PORT',
		'BOT_METRICS_HOST',
		'LOG_FORMAT',
		'DISCORD_SHARD_COUNT',
		'DISCORD_SHARD_IDS',
		'BOT_SYNC_CONCURRENCY',
		'OTEL_EXPORTER_OTLP_ENDPOINT',
	],
	prometheus: [],
	tempo: [],
	'tempo-init': [],
	grafana: [
		'GF_SECURITY_ADMIN_USER',
		'GF_SECURITY_ADMIN_PASSWORD',
		'GF_AUTH_ANONYMOUS_ENABLED',
		'GF_AUTH_ANONYMOUS_ORG_ROLE',
		'GF_USERS_ALLOW_SIGN_UP',
		'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH',
		'BYTE_LOG_SEARCH_URL',
		'BYTE_TRACES_DATASOURCE',
	],
}

describe('docker-compose config', () => {
	withCompose.test(
		'accepts compose.yaml with no .env, .env.example as .env, custom values, and the tracing profile',
		() => {
			for (const [setup, { quiet }] of Object.entries(resolved))
				expect({ setup, ...quiet }).toEqual({ setup, code: 0, output: '' })
			for (const { services } of Object.values(resolved)) {
				expect(Object.keys(services).sort()).toEqual([
					'api',
					'bot',
					'grafana',
					'postgres',
					'prometheus',
					'tempo',
					'tempo-init',
				])
				// Only Tempo is optional: `docker compose up` starts it only with the profile.
				const optional = Object.entries(services).filter(([, service]) => service.profiles !== undefined)
				expect(Object.fromEntries(optional.map(([name, service]) => [name, service.profiles]))).toEqual({
					tempo: ['tracing'],
					'tempo-init': ['tracing'],
				})
			}
		},
	)

	withCompose.test('without the tracing variables no exporter runs, the profile asked for or not', () => {
		for (const setup of ['none', 'example', 'custom', 'profile'] as const) {
			const { services } = resolved[setup]
			expect({ setup, api: services.api?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({ setup, api: '' })
			expect({ setup, bot: services.bot?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({ setup, bot: '' })
			expect({ setup, grafana: services.grafana?.environment?.BYTE_TRACES_DATASOURCE }).toEqual({
				setup,
				grafana: '',
			})
		}
	})

	withCompose.test(
		'with the tracing lines in .env: API and bot export to Tempo, Grafana links to its data source',
		async () => {
			const { services } = resolved.tracing
			const endpoint = new URL(services.api?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT ?? '')
			expect(services.bot?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(endpoint.href.replace(/\/$/, ''))
			expect(endpoint.hostname).toBe('tempo')
			const tempoConfig = Bun.YAML.parse(await Bun.file(repoPath('monitoring/tempo/tempo.yaml')).text()) as TempoConfig
			const otlpHttp = tempoConfig.distributor.receivers.otlp.protocols.http.endpoint
			expect(otlpHttp).toBe(`0.0.0.0:${endpoint.port}`)
			expect(tempoConfig.distributor.receivers.otlp.protocols).not.toHaveProperty('grpc')
			const tempoSource = (await datasources('tempo.yml'))[0]!
			expect(services.grafana?.environment?.BYTE_TRACES_DATASOURCE).toBe(tempoSource.uid)
			expect(tempoSource).toMatchObject({ type: 'tempo', url: `http://tempo:${tempoConfig.server.http_listen_port}` })
			// The rest of .env still reaches only its own services.
			expect(services.api?.environment?.API_TOKEN).toBe('api-secret')
			expect(JSON.stringify(services.tempo?.environment ?? {})).toBe('{}')
		},
	)

	withCompose.test('with no .env: safe local defaults, one API token shared by the API and the bot', () => {
		const { services } = resolved.none
		expect(services.api?.environment).toMatchObject({
			DATABASE_URL: 'postgres://byte:byte@postgres:5432/byte',
			LOG_LEVEL: 'info',
			METRICS_TOKEN: '',
		})
		expect(services.api?.environment?.API_TOKEN).toBeTruthy()
		expect(services.bot?.environment?.API_TOKEN).toBe(services.api?.environment?.API_TOKEN)
		expect(services.postgres?.environment?.POSTGRES_PASSWORD).toBe('byte')
		expect(services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('admin')
		expect(services.bot?.environment?.DISCORD_TOKEN).toBe('')
	})

	withCompose.test('values from .env reach only the services that use them', () => {
		for (const setup of ['custom', 'tracing'] as const) onlyTheirOwn(resolved[setup].services)
		const { services } = resolved.custom
		expect(services.postgres?.environment?.POSTGRES_PASSWORD).toBe('pg-secret')
		expect(services.api?.environment?.DATABASE_URL).toBe('postgres://byte:pg-secret@postgres:5432/byte')
		expect(services.api?.environment).toMatchObject({ API_TOKEN: 'api-secret', LOG_LEVEL: 'debug' })
		expect(services.bot?.environment).toMatchObject({
			DISCORD_TOKEN: 'discord-secret',
			API_TOKEN: 'api-secret',
			METRICS_TOKEN: 'metrics-secret',
		})
		expect(services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('grafana-secret')
	})

	withCompose.test('every host port binds 127.0.0.1 unless PUBLISH_ADDRESS says otherwise', () => {
		for (const setup of ['example', 'tracing'] as const) {
			const published = Object.entries(resolved[setup].services).flatMap(([name, service]) =>
				(service.ports ?? []).map((port) => `${name} ${port}`),
			)
			// OTLP (4318) stays inside the compose network.
			expect(published.sort()).toEqual([
				'api 127.0.0.1:8000:8000/tcp',
				'grafana 127.0.0.1:3000:3000/tcp',
				'postgres 127.0.0.1:5433:5432/tcp',
				'prometheus 127.0.0.1:9090:9090/tcp',
				'tempo 127.0.0.1:3200:3200/tcp',
			])
		}
	})
})

/** No service gets a variable it does not use, nor another's secret. */
function onlyTheirOwn(services: Record<string, ResolvedService>) {
	for (const [name, service] of Object.entries(services)) {
		const keys = Object.keys(service.environment ?? {})
		expect({ name, extra: keys.filter((key) => !ALLOWED[name]!.includes(key)) }).toEqual({ name, extra: [] })
		const values = JSON.stringify(service.environment ?? {})
		if (name !== 'grafana') expect({ name, leaks: values.includes('grafana-secret') }).toEqual({ name, leaks: false })
		if (name !== 'bot') expect({ name, leaks: values.includes('discord-secret') }).toEqual({ name, leaks: false })
	}
}

type TempoConfig = {
	server: { http_listen_port: number }
	distributor: { receivers: { otlp: { protocols: { http: { endpoint: string } } } } }
	storage: { trace: { backend: string; wal: { path: string }; local: { path: string } } }
}

type Datasource = {
	uid: string
	type: string
	url: string
	jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid?: string; url?: string }[] }
}

async function datasources(file: string): Promise<Datasource[]> {
	const path = repoPath('monitoring/grafana/provisioning/datasources', file)
	return (Bun.YAML.parse(await Bun.file(path).text()) as { datasources: Datasource[] }).datasources
}

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
		expect(env.POSTGRES_PASSWORD).toBe('${POSTGRES_PASSWORD:-byte}')
	})

	test('api: built from the Dockerfile, PostgreSQL URL, all interfaces, waits for a healthy database', () => {
		const api = services.api!
		expect(api.build).toBe('.')
		expect(api.environment).toMatchObject({
			DATABASE_URL: 'postgres://byte:${POSTGRES_PASSWORD:-byte}@postgres:5432/byte',
			HOST: '0.0.0.0',
			PORT: '8000',
		})
		expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
		expect(api.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'bun', '-e'])
		expect(api.healthcheck?.test[3]).toContain('http://127.0.0.1:8000/health/ready')
	})

	test('bot: same image, `bun run bot`, no env_file (only its own variables), API and metrics port matching prometheus.yml', async () => {
		const bot = services.bot!
		expect(bot.build).toBe(services.api?.build)
		expect(bot.command).toEqual(['bun', 'run', 'bot'])
		for (const service of Object.values(services)) expect(service.env_file).toBeUndefined()
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

	test('prometheus: exemplar storage on, config from monitoring/prometheus, no lifecycle API', () => {
		const prometheus = services.prometheus!
		// /-/reload and /-/quit would let anyone who reaches the port stop it.
		expect(prometheus.command?.join(' ')).not.toContain('enable-lifecycle')
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
		const prometheusSource = (await datasources('prometheus.yml'))[0]!
		expect(prometheusSource.uid).toBe('prometheus')
		expect(prometheusSource.url).toBe('http://prometheus:9090')
		expect(services.prometheus?.ports).toContain('${PUBLISH_ADDRESS:-127.0.0.1}:9090:9090')
		// trace_id opens the trace in the data source Grafana is told of, and the log search either way.
		expect(prometheusSource.jsonData?.exemplarTraceIdDestinations).toEqual([
			{
				name: 'trace_id',
				datasourceUid: '${BYTE_TRACES_DATASOURCE}',
				url: '${BYTE_LOG_SEARCH_URL}$${__value.raw}',
			},
			expect.objectContaining({ name: 'correlation_id', url: '${BYTE_LOG_SEARCH_URL}$${__value.raw}' }),
		])
		expect(grafana.environment?.BYTE_TRACES_DATASOURCE).toBe('${BYTE_TRACES_DATASOURCE:-}')
	})

	test('tempo: a pinned image, only in the tracing profile, config from monitoring/tempo, traces in a volume it owns', async () => {
		const tempo = services.tempo!
		const init = services['tempo-init']!
		expect(tempo.image).toMatch(/^grafana\/tempo:\d+\.\d+\.\d+$/)
		expect(init.image).toBe(tempo.image)
		expect([tempo.profiles, init.profiles]).toEqual([['tracing'], ['tracing']])
		const configMount = tempo.volumes?.find((v) => v.startsWith('./monitoring/tempo:'))
		expect(configMount).toBe('./monitoring/tempo:/etc/tempo:ro')
		expect(tempo.command).toEqual(['-config.file=/etc/tempo/tempo.yaml'])
		expect(compose.volumes).toHaveProperty('tempo-data')
		expect(tempo.volumes).toContain('tempo-data:/var/tempo')
		// Tempo runs as 10001; the volume is handed to it before it starts.
		expect(init.volumes).toEqual(['tempo-data:/var/tempo'])
		expect(init.entrypoint).toEqual(['chown', '10001:10001', '/var/tempo'])
		expect(tempo.depends_on).toEqual({ 'tempo-init': { condition: 'service_completed_successfully' } })
		const config = Bun.YAML.parse(await Bun.file(repoPath('monitoring/tempo/tempo.yaml')).text()) as TempoConfig
		expect(config.storage.trace.backend).toBe('local')
		for (const dir of [config.storage.trace.wal.path, config.storage.trace.local.path])
			expect(dir).toStartWith('/var/tempo/')
		expect(tempo.ports).toEqual([`\${PUBLISH_ADDRESS:-127.0.0.1}:3200:${config.server.http_listen_port}`])
		// The API and the bot never wait for it: without the profile it does not exist.
		for (const service of Object.values(services)) expect(Object.keys(service.depends_on ?? {})).not.toContain('tempo')
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

describe('.env.example', () => {
	test('every file and README section it points to exists, and every variable it lists is one compose.yaml reads', async () => {
		const text = await Bun.file(repoPath('.env.example')).text()
		const readme = await Bun.file(repoPath('README.md')).text()
		const files = [...text.matchAll(/(?:^|[\s(])((?:[\w.-]+\/)*[\w.-]+\.(?:md|ya?ml|json|ts))\b/gm)].map((m) => m[1]!)
		expect(files).toContain('README.md')
		for (const file of files) expect({ file, exists: existsSync(repoPath(file)) }).toEqual({ file, exists: true })
		for (const [, section] of text.matchAll(/"([^"]+)" in README\.md/g))
			expect({ section, found: readme.includes(`## ${section}`) }).toEqual({ section, found: true })
		const listed = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!)
		expect(listed.length).toBeGreaterThan(8)
		for (const variable of listed)
			expect({ variable, read: INTERPOLATED.includes(variable) || COMPOSE_OWN.includes(variable) }).toEqual({
				variable,
				read: true,
			})
		// The tracing profile's lines, as the README gives them.
		for (const line of TRACING_ENV.split('\n')) expect(text).toContain(`# ${line}\n`)
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
