/**
 * W3C Trace Context headers: the Recommendation's own examples, each of its parsing rules, and
 * hostile input. Rejected values must never be kept, only their length.
 */
import { describe, expect, test } from 'bun:test'
import {
	formatTraceParent,
	isValidSpanId,
	isValidTraceId,
	newSpanId,
	newTraceId,
	parseTraceParent,
	parseTraceState,
	readTraceContext,
	TRACESTATE_MAX_LENGTH,
	TraceState,
} from '../../src/observability/trace-context'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

function accepted(header: string) {
	const parsed = parseTraceParent(header)
	expect(parsed.verdict).toBe('accepted')
	return parsed.value!
}

function expectRejected(header: string) {
	const parsed = parseTraceParent(header)
	expect(parsed).toEqual({ value: undefined, verdict: 'rejected', rejectedLength: header.length })
}

describe('traceparent: the Recommendation’s examples', () => {
	test('sampled', () => {
		expect(accepted(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true })
	})

	test('not sampled', () => {
		expect(accepted(`00-${TRACE}-${PARENT}-00`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: false })
	})

	test('the relationship example: 0af7651916cd43dd8448eb211c80319c / b7ad6b7169203331', () => {
		expect(accepted('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({
			traceId: '0af7651916cd43dd8448eb211c80319c',
			parentId: 'b7ad6b7169203331',
			sampled: true,
		})
	})
})

describe('traceparent: version 00', () => {
	test('absent is absent, not rejected', () => {
		expect(parseTraceParent(null)).toEqual({ value: undefined, verdict: 'absent', rejectedLength: 0 })
		expect(parseTraceParent(undefined).verdict).toBe('absent')
	})

	test('flags are a bit field: only bit 0 says sampled', () => {
		expect(accepted(`00-${TRACE}-${PARENT}-03`).sampled).toBe(true)
		expect(accepted(`00-${TRACE}-${PARENT}-09`).sampled).toBe(true)
		expect(accepted(`00-${TRACE}-${PARENT}-ff`).sampled).toBe(true)
		expect(accepted(`00-${TRACE}-${PARENT}-02`).sampled).toBe(false)
		expect(accepted(`00-${TRACE}-${PARENT}-fe`).sampled).toBe(false)
	})

	test('optional whitespace around the value is ignored', () => {
		for (const v of [` 00-${TRACE}-${PARENT}-01`, `\t00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01 \t`]) {
			expect(accepted(v).traceId).toBe(TRACE)
		}
	})

	test.each([
		['empty', ''],
		['whitespace only', '   '],
		['all-zero trace ID', `00-${'0'.repeat(32)}-${PARENT}-01`],
		['all-zero parent ID', `00-${TRACE}-${'0'.repeat(16)}-01`],
		['upper-case trace ID', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
		['upper-case parent ID', `00-${TRACE}-00F067AA0BA902B7-01`],
		['upper-case flags', `00-${TRACE}-${PARENT}-0A`],
		['upper-case version', `0A-${TRACE}-${PARENT}-01`],
		['version ff (forbidden)', `ff-${TRACE}-${PARENT}-01`],
		['version of one character', `0-${TRACE}-${PARENT}-01`],
		['version of three characters', `000-${TRACE}-${PARENT}-01`],
		['illegal character in the version', `.0-${TRACE}-${PARENT}-01`],
		['trace ID one short', `00-${TRACE.slice(1)}-${PARENT}-01`],
		['trace ID one long', `00-${TRACE}0-${PARENT}-01`],
		['illegal character in the trace ID', `00-.${TRACE.slice(1)}-${PARENT}-01`],
		['parent ID one short', `00-${TRACE}-${PARENT.slice(1)}-01`],
		['parent ID one long', `00-${TRACE}-${PARENT}0-01`],
		['illegal character in the parent ID', `00-${TRACE}-${PARENT.slice(0, 15)}.-01`],
		['flags of one character', `00-${TRACE}-${PARENT}-1`],
		['flags of three characters', `00-${TRACE}-${PARENT}-001`],
		['illegal character in the flags', `00-${TRACE}-${PARENT}-0.`],
		['version 00 with a trailing character', `00-${TRACE}-${PARENT}-01.`],
		['version 00 with extra fields', `00-${TRACE}-${PARENT}-01-what-the-future-will-be-like`],
		['underscores instead of dashes', `00_${TRACE}_${PARENT}_01`],
		['two headers joined by HTTP', `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
		['a dash too many', `00--${TRACE}-${PARENT}-01`],
		['inner whitespace', `00-${TRACE} -${PARENT}-01`],
	])('%s → rejected', (_name, header) => {
		expectRejected(header)
	})
})

describe('traceparent: higher versions (the versioning rules)', () => {
	test('a future version with exactly the version 00 fields is read', () => {
		expect(accepted(`cc-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true })
	})

	test('fields after a dash are not read, the known ones still are', () => {
		expect(accepted(`cc-${TRACE}-${PARENT}-00-what-the-future-will-be-like`)).toEqual({
			traceId: TRACE,
			parentId: PARENT,
			sampled: false,
		})
		expect(accepted(`01-${TRACE}-${PARENT}-01-`).traceId).toBe(TRACE)
	})

	test('the flags must be followed by the end or a dash', () => {
		expectRejected(`cc-${TRACE}-${PARENT}-01.what-the-future-will-be-like`)
		expectRejected(`cc-${TRACE}-${PARENT}-011`)
	})

	test('shorter than 55 characters is rejected, whatever the version', () => {
		expectRejected(`cc-${TRACE}-${PARENT}-1`)
		expectRejected(`cc-${TRACE}-${PARENT}`)
	})

	test('the first three fields follow the version 00 rules', () => {
		expectRejected(`cc-${'0'.repeat(32)}-${PARENT}-01`)
		expectRejected(`cc-${TRACE}-${'0'.repeat(16)}-01`)
		expectRejected(`cc-${TRACE.toUpperCase()}-${PARENT}-01`)
		expectRejected(`cc-${TRACE}x${PARENT}-01`)
	})
})

describe('traceparent: hostile input', () => {
	test.each([
		['control characters', `00-${TRACE}-${PARENT}-01\r\nX-Evil: 1`],
		['NUL', `00-${TRACE}-${PARENT}-0\u0000`],
		['non-ASCII digits', `00-${TRACE.slice(0, 31)}٣-${PARENT}-01`],
		['fullwidth letters', `00-${TRACE.slice(0, 31)}ａ-${PARENT}-01`],
		['an emoji', `00-${TRACE}-${PARENT}-🚀`],
		['a 16 KB value', `00-${TRACE}-${PARENT}-01`.padEnd(16_384, 'a')],
		['JSON', '{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"}'],
		['a lone surrogate', `00-${TRACE}-${PARENT}-0\uD800`],
	])('%s → rejected, length only', (_name, header) => {
		const parsed = parseTraceParent(header)
		expect(parsed.verdict).toBe('rejected')
		expect(parsed.value).toBeUndefined()
		expect(parsed.rejectedLength).toBe(header.length)
		expect(JSON.stringify(parsed)).toBe(`{"verdict":"rejected","rejectedLength":${header.length}}`)
	})

	test('10,000 random byte strings of every length up to 80: only well-formed ones accepted', () => {
		let seed = 42
		const next = () => {
			seed = (seed * 1103515245 + 12345) >>> 0
			return seed
		}
		const alphabet = '0123456789abcdefABCDEF- \t,.=\u0000ff'
		let acceptedCount = 0
		for (let i = 0; i < 10_000; i++) {
			const length = next() % 81
			let header = ''
			for (let j = 0; j < length; j++) header += alphabet[next() % alphabet.length]
			const parsed = parseTraceParent(header)
			if (parsed.verdict !== 'accepted') continue
			acceptedCount++
			const t = header.trim()
			expect(t).toMatch(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/)
		}
		// Random strings almost never form a traceparent; the point is that none is wrongly accepted.
		expect(acceptedCount).toBeLessThan(10)
	})
})

describe('formatting and IDs', () => {
	test('formatTraceParent: version 00, the span as parent, only the sampled flag', () => {
		expect(formatTraceParent({ traceId: TRACE, spanId: PARENT, sampled: true })).toBe(`00-${TRACE}-${PARENT}-01`)
		expect(formatTraceParent({ traceId: TRACE, spanId: PARENT, sampled: false })).toBe(`00-${TRACE}-${PARENT}-00`)
	})

	test('a parsed header formats back to itself (version 00) or to version 00 (higher versions)', () => {
		const round = (header: string) => {
			const p = accepted(header)
			return formatTraceParent({ traceId: p.traceId, spanId: p.parentId, sampled: p.sampled })
		}
		expect(round(`00-${TRACE}-${PARENT}-01`)).toBe(`00-${TRACE}-${PARENT}-01`)
		expect(round(`cc-${TRACE}-${PARENT}-07-future`)).toBe(`00-${TRACE}-${PARENT}-01`)
	})

	test('new IDs are lower-case hex of the right size, valid, and all different', () => {
		const traces = new Set<string>()
		const spans = new Set<string>()
		for (let i = 0; i < 5000; i++) {
			const t = newTraceId()
			const s = newSpanId()
			expect(t).toMatch(/^[0-9a-f]{32}$/)
			expect(s).toMatch(/^[0-9a-f]{16}$/)
			expect(isValidTraceId(t) && isValidSpanId(s)).toBe(true)
			traces.add(t)
			spans.add(s)
		}
		expect(traces.size).toBe(5000)
		expect(spans.size).toBe(5000)
		// A new ID continues nothing: the generated pair always parses as a traceparent.
		expect(
			parseTraceParent(formatTraceParent({ traceId: newTraceId(), spanId: newSpanId(), sampled: false })).verdict,
		).toBe('accepted')
	})

	test('isValidTraceId / isValidSpanId', () => {
		expect(isValidTraceId(TRACE)).toBe(true)
		expect(isValidTraceId('0'.repeat(32))).toBe(false)
		expect(isValidTraceId(TRACE.toUpperCase())).toBe(false)
		expect(isValidTraceId(TRACE.slice(1))).toBe(false)
		expect(isValidSpanId(PARENT)).toBe(true)
		expect(isValidSpanId('0'.repeat(16))).toBe(false)
		expect(isValidSpanId(TRACE)).toBe(false)
	})
})

function state(header: string) {
	const parsed = parseTraceState(header)
	expect(parsed.verdict).toBe('accepted')
	return parsed.value!
}

function expectStateRejected(header: string) {
	expect(parseTraceState(header)).toEqual({ value: undefined, verdict: 'rejected', rejectedLength: header.length })
}

describe('tracestate', () => {
	test('the Recommendation’s examples keep their order', () => {
		expect(state('rojo=00f067aa0ba902b7').entries).toEqual([['rojo', '00f067aa0ba902b7']])
		const two = state('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
		expect(two.entries).toEqual([
			['rojo', '00f067aa0ba902b7'],
			['congo', 't61rcWkgMzE'],
		])
		expect(two.get('congo')).toBe('t61rcWkgMzE')
		expect(two.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
	})

	test('empty headers and empty or whitespace-only members are accepted', () => {
		expect(state('').entries).toEqual([])
		expect(state(' , ,\t').entries).toEqual([])
		expect(state('foo=1,,bar=2,').entries).toEqual([
			['foo', '1'],
			['bar', '2'],
		])
		expect(state('').serialize()).toBe('')
	})

	test('whitespace around members is ignored; leading spaces in a value are part of it', () => {
		expect(state('foo=1 \t , \t bar=2, \t baz=3').entries).toEqual([
			['foo', '1'],
			['bar', '2'],
			['baz', '3'],
		])
		expect(state('\t foo=1 \t').get('foo')).toBe('1')
		expect(state('foo=  1').get('foo')).toBe('  1')
	})

	test('every allowed character, in simple and multi-tenant keys and in values', () => {
		const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/'
		let value = ''
		for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) value += String.fromCharCode(c)
		expect(state(`${key}=${value}`).get(key)).toBe(value)
		expect(state(`${key}@a-z0-9_-*/=${value}`).get(`${key}@a-z0-9_-*/`)).toBe(value)
		expect(state('0tenant@vendor=x').get('0tenant@vendor')).toBe('x')
	})

	test('key and value lengths at and over the limits', () => {
		expect(state(`foo=1,${'z'.repeat(256)}=1`).get('foo')).toBe('1')
		expectStateRejected(`foo=1,${'z'.repeat(257)}=1`)
		expect(state(`foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`).get('foo')).toBe('1')
		expectStateRejected(`foo=1,${'t'.repeat(242)}@v=1`)
		expectStateRejected(`foo=1,t@${'v'.repeat(15)}=1`)
		expect(state(`foo=${'x'.repeat(256)}`).get('foo')).toHaveLength(256)
		expectStateRejected(`foo=${'x'.repeat(257)}`)
	})

	test('32 members are accepted, 33 reject the whole header', () => {
		const members = (n: number) => Array.from({ length: n }, (_, i) => `bar${i + 1}=${i + 1}`).join(',')
		expect(state(members(32)).entries).toHaveLength(32)
		expectStateRejected(members(33))
		// Empty members do not count.
		expect(state(`${members(32)},,,`).entries).toHaveLength(32)
	})

	test.each([
		['a duplicate key', 'foo=1,foo=1'],
		['a duplicate key with another value', 'foo=1,foo=2'],
		['two headers repeating a key (joined by HTTP)', 'foo=1, foo=2'],
		['space in a key', 'foo =1'],
		['upper-case key', 'FOO=1'],
		['dot in a key', 'foo.bar=1'],
		['empty tenant', '@foo=1,bar=2'],
		['empty system', 'foo@=1,bar=2'],
		['two at signs', 'foo@@bar=1,bar=2'],
		['three parts', 'foo@bar@baz=1,bar=2'],
		['system starting with a digit', 'foo@1bar=1'],
		['simple key starting with a digit', '1foo=1'],
		['no equals sign', 'foo'],
		['empty key', '=1'],
		['empty value', 'foo='],
		['equals sign in the value', 'foo=1=2'],
		['tab in the value', 'foo=a\tb'],
		['newline in the value', 'foo=a\nb'],
		['non-ASCII value', 'foo=café'],
		['an emoji key', '🚀=1'],
		['NUL', 'foo=\u0000'],
	])('%s → whole header rejected', (_name, header) => {
		expectStateRejected(header)
	})

	test('hostile sizes: 16 KB of commas is empty; a 16 KB member is rejected, length only', () => {
		expect(state(','.repeat(16_384)).entries).toEqual([])
		const huge = `foo=${'x'.repeat(16_384)}`
		expect(parseTraceState(huge)).toEqual({ value: undefined, verdict: 'rejected', rejectedLength: huge.length })
	})

	test('serialize keeps at most 512 characters: entries over 128 go first, then from the right', () => {
		const long = `long=${'l'.repeat(150)}`
		const fill = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(20)}`)
		const header = [fill[0], long, ...fill.slice(1)].join(',')
		expect(header.length).toBeGreaterThan(TRACESTATE_MAX_LENGTH)
		const out = state(header).serialize()
		expect(out.length).toBeLessThanOrEqual(TRACESTATE_MAX_LENGTH)
		expect(out).not.toContain('long=')
		// 20 entries of 24 characters plus commas is 499: all of them fit once the long one is gone.
		expect(out).toBe(fill.join(','))
		const tooMany = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(20)}`)
		const cut = state(tooMany.join(',')).serialize()
		expect(cut).toBe(tooMany.slice(0, 20).join(','))
		// A list that fits is sent as it came (without its optional whitespace).
		expect(state('a=1 , b=2').serialize()).toBe('a=1,b=2')
	})

	test('set puts the entry left-most, replacing its old place; unset removes it; both copy', () => {
		const s = state('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
		const updated = s.set('congo', 'ucfJifl5GOE')
		expect(updated.serialize()).toBe('congo=ucfJifl5GOE,rojo=00f067aa0ba902b7')
		expect(s.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
		expect(updated.unset('rojo').serialize()).toBe('congo=ucfJifl5GOE')
		expect(s.unset('absent')).toBe(s)
		expect(s.set('BAD KEY', 'x')).toBe(s)
		expect(s.set('ok', 'bad,value')).toBe(s)
	})

	test('set on a full list drops the right-most entry', () => {
		const full = state(Array.from({ length: 32 }, (_, i) => `k${i}=${i}`).join(','))
		const added = full.set('new', 'x')
		expect(added.entries).toHaveLength(32)
		expect(added.entries[0]).toEqual(['new', 'x'])
		expect(added.get('k31')).toBeUndefined()
		expect(TraceState.EMPTY.set('a', '1').serialize()).toBe('a=1')
	})
})

describe('readTraceContext', () => {
	const headers = (init: [string, string][]) => {
		const h = new Headers()
		for (const [k, v] of init) h.append(k, v)
		return h
	}

	test('no headers: no parent, both absent', () => {
		const ctx = readTraceContext(new Headers())
		expect(ctx.parent).toBeUndefined()
		expect(ctx.traceparent.verdict).toBe('absent')
		expect(ctx.tracestate.verdict).toBe('absent')
	})

	test('a valid pair: the parent carries the trace state; header names in any case', () => {
		const ctx = readTraceContext(
			headers([
				['TraceParent', `00-${TRACE}-${PARENT}-01`],
				['TRACESTATE', 'rojo=00f067aa0ba902b7'],
			]),
		)
		expect(ctx.parent).toMatchObject({ traceId: TRACE, parentId: PARENT, sampled: true })
		expect(ctx.parent?.traceState?.get('rojo')).toBe('00f067aa0ba902b7')
	})

	test('several tracestate headers are one list, in order', () => {
		const ctx = readTraceContext(
			headers([
				['traceparent', `00-${TRACE}-${PARENT}-00`],
				['tracestate', 'foo=1,bar=2'],
				['tracestate', 'rojo=1,congo=2'],
				['tracestate', 'baz=3'],
			]),
		)
		expect(ctx.parent?.traceState?.serialize()).toBe('foo=1,bar=2,rojo=1,congo=2,baz=3')
	})

	test('an invalid traceparent: tracestate is not read, only its length is kept', () => {
		const ctx = readTraceContext(
			headers([
				['traceparent', `00-${'0'.repeat(32)}-${PARENT}-01`],
				['tracestate', 'foo=1'],
			]),
		)
		expect(ctx.parent).toBeUndefined()
		expect(ctx.traceparent.verdict).toBe('rejected')
		expect(ctx.tracestate).toEqual({ value: undefined, verdict: 'ignored', rejectedLength: 5 })
	})

	test('tracestate alone (no traceparent) is ignored', () => {
		const ctx = readTraceContext(headers([['tracestate', 'foo=1,bar=2']]))
		expect(ctx.parent).toBeUndefined()
		expect(ctx.tracestate.verdict).toBe('ignored')
	})

	test('an invalid tracestate does not affect a valid traceparent', () => {
		const ctx = readTraceContext(
			headers([
				['traceparent', `00-${TRACE}-${PARENT}-01`],
				['tracestate', 'foo=1,foo=2'],
			]),
		)
		expect(ctx.parent).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true, traceState: undefined })
		expect(ctx.tracestate.verdict).toBe('rejected')
	})

	test('two traceparent headers: rejected (a new trace starts)', () => {
		const ctx = readTraceContext(
			headers([
				['traceparent', `00-12345678901234567890123456789011-${PARENT}-01`],
				['traceparent', `00-12345678901234567890123456789012-${PARENT}-01`],
			]),
		)
		expect(ctx.parent).toBeUndefined()
		expect(ctx.traceparent.verdict).toBe('rejected')
	})

	test('wrong header names are not read', () => {
		const ctx = readTraceContext(
			headers([
				['trace-parent', `00-${TRACE}-${PARENT}-01`],
				['trace.state', 'foo=1'],
			]),
		)
		expect(ctx.parent).toBeUndefined()
		expect(ctx.traceparent.verdict).toBe('absent')
	})
})
