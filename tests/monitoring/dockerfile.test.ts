/**
 * Dockerfile (no Docker engine needed): the official Bun image at the project's Bun
 * version, a frozen production install, an unprivileged user, `bun run start`, and an
 * image that holds everything the code loads: every file src/ imports is copied in, and
 * every package it imports is a production dependency (devDependencies are not installed).
 * Then the image's file set, with a production install, is started with the image's CMD.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { freePort, ROOT, repoPath, run, SLOW, tempDir, waitFor } from './support'

const dockerfile = await Bun.file(repoPath('Dockerfile')).text()
const dockerignore = (await Bun.file(repoPath('.dockerignore')).text())
	.split('\n')
	.map((line) => line.trim())
	.filter((line) => line && !line.startsWith('#'))
const pkg = (await Bun.file(repoPath('package.json')).json()) as {
	packageManager: string
	scripts: Record<string, string>
	dependencies: Record<string, string>
}
const instructions = dockerfile
	.split('\n')
	.map((line) => line.trim())
	.filter((line) => line && !line.startsWith('#'))

/** Sources of every COPY, as repository paths without trailing slashes. */
const copied = instructions
	.filter((line) => line.startsWith('COPY '))
	.flatMap((line) => line.split(/\s+/).slice(1, -1))
	.filter((word) => !word.startsWith('--'))
	.map((word) => word.replace(/^\.\//, '').replace(/\/$/, ''))

function walk(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const full = join(dir, name)
		return statSync(full).isDirectory() ? walk(full) : [full]
	})
}

describe('Dockerfile', () => {
	test('builds on oven/bun at the version package.json pins', () => {
		const version = pkg.packageManager.replace(/^bun@/, '')
		expect(instructions[0]).toBe(`FROM oven/bun:${version}`)
	})

	test('installs production dependencies from the lockfile, runs unprivileged, starts the API', () => {
		expect(instructions).toContain('RUN bun install --frozen-lockfile --production')
		expect(instructions).toContain('USER bun')
		expect(instructions).toContain('EXPOSE 8000')
		expect(instructions.at(-1)).toBe('CMD ["bun", "run", "start"]')
		expect(pkg.scripts.start).toContain('src/index.ts')
		expect(pkg.scripts.bot).toBeDefined()
		expect(copied.sort()).toEqual(['bun.lock', 'drizzle', 'package.json', 'src', 'tsconfig.json'])
		for (const source of copied)
			expect({ source, exists: existsSync(repoPath(source)) }).toEqual({ source, exists: true })
	})

	test('.dockerignore keeps out secrets and local state but nothing the image copies', () => {
		for (const entry of ['.env', '.git', 'node_modules/', '.data/']) expect(dockerignore).toContain(entry)
		for (const source of copied) {
			for (const pattern of dockerignore) {
				expect({ source, ignoredBy: source === pattern.replace(/\/$/, '') ? pattern : null }).toEqual({
					source,
					ignoredBy: null,
				})
			}
		}
	})

	test('everything src/ imports is in the image: copied files and production packages', () => {
		const transpilers = { ts: new Bun.Transpiler({ loader: 'ts' }), tsx: new Bun.Transpiler({ loader: 'tsx' }) }
		const builtins = new Set(builtinModules)
		const inImage = (file: string) => copied.some((source) => file === source || file.startsWith(`${source}/`))
		const problems: string[] = []
		const files = walk(repoPath('src')).filter((file) => /\.(ts|tsx)$/.test(file) && !/\.test\.tsx?$/.test(file))
		expect(files.length).toBeGreaterThan(0)
		for (const file of files) {
			const imports = transpilers[file.endsWith('x') ? 'tsx' : 'ts'].scanImports(readFileSync(file, 'utf8'))
			for (const { path: specifier } of imports) {
				const where = relative(ROOT, file)
				if (specifier.startsWith('.')) {
					const target = relative(ROOT, resolve(dirname(file), specifier))
					if (!inImage(target)) problems.push(`${where} imports ${specifier}, which the image does not copy`)
				} else if (
					!specifier.startsWith('node:') &&
					!specifier.startsWith('bun:') &&
					!builtins.has(specifier) &&
					specifier !== 'bun'
				) {
					const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
					if (!(name in pkg.dependencies))
						problems.push(`${where} imports ${name}, which is not a production dependency`)
				}
			}
		}
		expect(problems).toEqual([])
	})
})

describe('the image contents', () => {
	const image = tempDir('image')
	afterAll(() => image.remove())

	test(
		'start the API with production dependencies only, via the CMD',
		async () => {
			// What the Dockerfile's COPY and RUN lines produce in /app, without a Docker engine.
			for (const source of copied) cpSync(repoPath(source), join(image.path, source), { recursive: true })
			const install = await run(['bun', 'install', '--frozen-lockfile', '--production', '--prefer-offline'], {
				cwd: image.path,
			})
			expect({ code: install.code, output: install.code === 0 ? '' : install.output }).toEqual({ code: 0, output: '' })
			expect(existsSync(join(image.path, 'node_modules/drizzle-kit'))).toBe(false) // a devDependency

			const cmd = JSON.parse(instructions.at(-1)!.replace(/^CMD /, '')) as string[]
			const port = freePort()
			const child = Bun.spawn(cmd, {
				cwd: image.path,
				env: {
					...process.env,
					DATABASE_URL: 'memory://',
					HOST: '127.0.0.1',
					PORT: String(port),
					LOG_FORMAT: 'json',
					LOG_LEVEL: 'warning',
				},
				stdout: 'pipe',
				stderr: 'pipe',
			})
			const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
			try {
				const url = `http://127.0.0.1:${port}`
				await waitFor(
					'the API in the image layout to become ready',
					async () => {
						if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${(await output).join('')}`)
						return (await fetch(`${url}/health/ready`).catch(() => undefined))?.ok
					},
					{ timeoutMs: 20_000, intervalMs: 100 },
				)
				const metrics = await fetch(`${url}/metrics`, {
					headers: { accept: 'application/openmetrics-text; version=1.0.0' },
				})
				expect(metrics.headers.get('content-type')).toContain('application/openmetrics-text')
				const text = await metrics.text()
				expect(text).toContain('byte_build_info{')
				expect(text.trimEnd().endsWith('# EOF')).toBe(true)
			} finally {
				child.kill('SIGTERM')
				await child.exited
			}
			expect(child.exitCode).toBe(0)
		},
		2 * SLOW,
	)
})
