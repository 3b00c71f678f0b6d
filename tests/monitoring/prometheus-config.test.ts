/**
 * monitoring/prometheus: promtool accepts the configuration and the rules, the rule unit
 * tests pass, every alert is covered by a firing and a quiet case, and those unit tests
 * really fail when an alert's expression is broken.
 */
import { afterAll, describe, expect } from 'bun:test'
import { join } from 'node:path'
import { repoPath, requireTools, run, SLOW, tempDir } from './support'

const { test, path } = requireTools('promtool')

const CONFIG = repoPath('monitoring/prometheus/prometheus.yml')
const RULES = repoPath('monitoring/prometheus/alerts.yml')
const RULE_TESTS = repoPath('monitoring/prometheus/alerts.test.yml')

interface Rule {
	alert?: string
	record?: string
	expr: string
	for?: string
	labels?: Record<string, string>
	annotations?: Record<string, string>
}
interface RuleFile {
	groups: { name: string; rules: Rule[] }[]
}
interface RuleTestFile {
	rule_files: string[]
	tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[]
}

const configText = await Bun.file(CONFIG).text()
const ruleTestsText = await Bun.file(RULE_TESTS).text()
const rules = Bun.YAML.parse(await Bun.file(RULES).text()) as RuleFile
const alerts = rules.groups.flatMap((group) => group.rules.filter((rule) => rule.alert))
const alertNames = alerts.map((rule) => rule.alert!)

const scratch = tempDir('promtool')
afterAll(() => scratch.remove())

describe('prometheus.yml', () => {
	test('promtool check config accepts it (and the rule file it loads)', async () => {
		const result = await run([path.promtool, 'check', 'config', CONFIG])
		expect(result.output).toContain('SUCCESS')
		expect(result.code).toBe(0)
	})

	test('scrapes the API and the bot under the job names the alerts select', () => {
		const config = Bun.YAML.parse(configText) as {
			global: { scrape_interval: string }
			rule_files: string[]
			scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[]
		}
		expect(config.global.scrape_interval).toBe('15s')
		expect(config.rule_files).toEqual(['alerts.yml'])
		const jobs = Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job]))
		expect(jobs['byte-api']?.static_configs[0]?.targets).toEqual(['api:8000'])
		expect(jobs['byte-api']?.metrics_path ?? '/metrics').toBe('/metrics')
		expect(jobs['byte-bot']?.static_configs[0]?.targets).toEqual(['bot:9100'])
		for (const job of Object.keys(jobs)) expect(job).toMatch(/^byte-/)
	})
})

describe('alerts.yml', () => {
	test('promtool check rules accepts it', async () => {
		const result = await run([path.promtool, 'check', 'rules', RULES])
		expect(result.output).toContain(`SUCCESS: ${alerts.length} rules found`)
		expect(result.code).toBe(0)
	})

	test('every alert has a for:, a severity and on-call annotations', () => {
		expect(alertNames).toEqual(
			expect.arrayContaining([
				'ByteTargetDown',
				'ByteApiHighErrorRatio',
				'ByteApiHighLatencyP95',
				'ByteDatabaseErrors',
				'ByteApiNotReady',
				'ByteBotShardDown',
				'ByteBotGatewayLatencyHigh',
				'ByteBotInteractionsExpiring',
				'ByteBotRateLimited',
			]),
		)
		for (const rule of alerts) {
			expect({ alert: rule.alert, for: rule.for }).toEqual({
				alert: rule.alert,
				for: expect.stringMatching(/^\d+[smh]$/),
			})
			expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity ?? '')
			expect(rule.annotations?.summary?.length ?? 0).toBeGreaterThan(10)
			expect(rule.annotations?.description?.length ?? 0).toBeGreaterThan(80)
		}
		// Request-level alerts tell on-call how to get from the alert to one request's logs.
		for (const name of [
			'ByteApiHighErrorRatio',
			'ByteApiHighLatencyP95',
			'ByteBotApiRetrying',
			'ByteBotInteractionsExpiring',
		]) {
			const rule = alerts.find((r) => r.alert === name)
			expect(rule?.annotations?.description).toContain('correlation_id')
		}
		expect(alerts.find((r) => r.alert === 'ByteApiHighLatencyP95')?.annotations?.description).toContain('exemplar')
	})
})

describe('alerts.test.yml', () => {
	test(
		'promtool test rules passes',
		async () => {
			const result = await run([path.promtool, 'test', 'rules', RULE_TESTS])
			expect(result.output).toContain('SUCCESS')
			expect(result.code).toBe(0)
		},
		SLOW,
	)

	test('covers every alert with a case that fires and a case that stays quiet', () => {
		const suite = Bun.YAML.parse(ruleTestsText) as RuleTestFile
		expect(suite.rule_files).toEqual(['alerts.yml'])
		const cases = suite.tests.flatMap((t) => t.alert_rule_test ?? [])
		for (const name of alertNames) {
			const own = cases.filter((c) => c.alertname === name)
			expect({ name, fires: own.some((c) => (c.exp_alerts?.length ?? 0) > 0) }).toEqual({ name, fires: true })
			expect({ name, quiet: own.some((c) => (c.exp_alerts?.length ?? 0) === 0) }).toEqual({ name, quiet: true })
		}
	})

	test(
		'ByteDatabaseErrors counts outage kinds only, over statements from the same driver hook; counting every failure would fire on a burst of duplicate creates',
		async () => {
			const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'ByteDatabaseErrors')!
			expect(rule.expr).toContain('db_errors_total{kind=~"unavailable|timeout"}')
			expect(rule.expr).toContain('db_query_duration_seconds_count')
			const dir = join(scratch.path, 'all-db-errors')
			const counted: RuleFile = {
				groups: rules.groups.map((group) => ({
					...group,
					rules: group.rules.map((r) =>
						r.alert === 'ByteDatabaseErrors' ? { ...r, expr: r.expr.replace('{kind=~"unavailable|timeout"}', '') } : r,
					),
				})),
			}
			await Bun.write(join(dir, 'alerts.yml'), JSON.stringify(counted))
			await Bun.write(join(dir, 'alerts.test.yml'), Bun.file(RULE_TESTS))
			const result = await run([path.promtool, 'test', 'rules', join(dir, 'alerts.test.yml')])
			expect(result.code).not.toBe(0)
			expect(result.output).toContain('database errors stay quiet for a burst of duplicate creates')
		},
		SLOW,
	)

	// The unit tests must notice a broken alert: with every expression replaced by one that
	// never fires, or one that always fires, promtool must fail on every alert.
	for (const [mutation, expr] of [
		['never fires', 'vector(1) > 2'],
		['always fires', 'vector(1)'],
	] as const) {
		test(
			`fails for every alert when each expression ${mutation}`,
			async () => {
				const dir = join(scratch.path, mutation.replace(' ', '-'))
				const broken: RuleFile = {
					groups: rules.groups.map((group) => ({
						...group,
						rules: group.rules.map((rule) => (rule.alert ? { ...rule, expr } : rule)),
					})),
				}
				// JSON is YAML, so promtool reads the mutated rules as they are.
				await Bun.write(join(dir, 'alerts.yml'), JSON.stringify(broken))
				await Bun.write(join(dir, 'alerts.test.yml'), Bun.file(RULE_TESTS))
				const result = await run([path.promtool, 'test', 'rules', join(dir, 'alerts.test.yml')])
				expect(result.code).not.toBe(0)
				for (const name of alertNames) expect(result.output).toContain(`alertname: ${name},`)
			},
			SLOW,
		)
	}
})
