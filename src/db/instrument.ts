/**
 * Driver-level timing. Drizzle's logger sees a query before it runs but never its
 * duration or outcome, so the drivers are wrapped here: every statement (including
 * those inside transactions and migrations) reports its SQL text, duration and error.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite'
import type { Sql } from 'postgres'

export type QueryOperation = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'OTHER'
export type DriverObserver = (sql: string, seconds: number, error: unknown) => void

const OPERATIONS = new Set<QueryOperation>(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])
const operationCache = new Map<string, QueryOperation>()

/** The statement's verb, `OTHER` for everything else; `WITH … SELECT` counts as SELECT. */
export function queryOperation(sql: string): QueryOperation {
	const cached = operationCache.get(sql)
	if (cached) return cached
	const match = /^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i.exec(sql)
	const verb = (match?.[1] ?? '').toUpperCase() as QueryOperation
	const op = OPERATIONS.has(verb) ? verb : 'OTHER'
	// SQL texts are parameterised and finite; the cap only guards against hand-built SQL.
	if (operationCache.size < 1000) operationCache.set(sql, op)
	return op
}

const now = () => performance.now()

/** Wraps a postgres.js client so each `unsafe` statement (Drizzle's only path) is timed. */
export function instrumentPostgres(sql: Sql, observe: DriverObserver): Sql {
	const wrapUnsafe = (client: Sql): Sql['unsafe'] => {
		const unsafe = client.unsafe.bind(client)
		return ((query: string, params?: unknown[], options?: unknown) => {
			const pending = (unsafe as (...a: unknown[]) => Promise<unknown>)(query, params, options)
			const start = now()
			const then = pending.then
			let observed = false
			const settle = (error: unknown) => {
				// A pending query may be awaited more than once (postgres.js does inside transactions).
				if (observed) return
				observed = true
				observe(query, (now() - start) / 1000, error)
			}
			// postgres.js runs a query when it is awaited; timing wraps that await.
			pending.then = function (onFulfilled, onRejected) {
				return then.call(
					this,
					(value) => {
						settle(undefined)
						return onFulfilled ? onFulfilled(value) : value
					},
					(error) => {
						settle(error)
						if (onRejected) return onRejected(error)
						throw error
					},
				) as never
			}
			return pending
		}) as Sql['unsafe']
	}
	const wrap = (client: Sql): Sql =>
		new Proxy(client, {
			get(target, prop, receiver) {
				if (prop === 'unsafe') return wrapUnsafe(target)
				if (prop === 'begin' || prop === 'savepoint') {
					const original = Reflect.get(target, prop, receiver) as (...a: unknown[]) => Promise<unknown>
					return (...args: unknown[]) => {
						const fnIndex = args.findIndex((a) => typeof a === 'function')
						let entered = false
						if (fnIndex >= 0) {
							const fn = args[fnIndex] as (tx: Sql) => unknown
							args[fnIndex] = (tx: Sql) => {
								entered = true
								return fn(wrap(tx))
							}
						}
						const start = now()
						const pending = original.apply(target, args)
						// A transaction that never started (no session, BEGIN refused) ran no statement
						// of its own to report the failure, so it is reported as its BEGIN.
						pending.catch((error: unknown) => {
							if (!entered) observe('BEGIN', (now() - start) / 1000, error)
						})
						return pending
					}
				}
				return Reflect.get(target, prop, receiver)
			},
		})
	return wrap(sql)
}

type Queryable = Pick<PGlite | Transaction, 'query' | 'exec'>
type AnyQuery = (sql: string, ...rest: unknown[]) => Promise<unknown>

function timed(run: AnyQuery, observe: DriverObserver): AnyQuery {
	return async (sql, ...rest) => {
		const start = now()
		try {
			const result = await run(sql, ...rest)
			observe(sql, (now() - start) / 1000, undefined)
			return result
		} catch (error) {
			observe(sql, (now() - start) / 1000, error)
			throw error
		}
	}
}

/** Wraps a PGlite instance's `query`/`exec` (and those of its transactions) in place. */
export function instrumentPglite(client: PGlite, observe: DriverObserver): PGlite {
	const wrapQueryable = <T extends Queryable>(target: T): T => {
		target.query = timed(target.query.bind(target) as AnyQuery, observe) as T['query']
		target.exec = timed(target.exec.bind(target) as AnyQuery, observe) as T['exec']
		return target
	}
	wrapQueryable(client)
	const transaction = client.transaction.bind(client)
	client.transaction = ((fn: (tx: Transaction) => Promise<unknown>) =>
		transaction((tx) => fn(wrapQueryable(tx)))) as PGlite['transaction']
	return client
}
