import { Buffer } from 'node:buffer'
import { formatNumber } from './format.ts'

const encoder = new TextEncoder()

export const NEWLINE = 10
/** The empty infix, for lines that are just prefix and value. */
export const NOTHING = new Uint8Array(0)

/**
 * UTF-8 bytes of `text`, for prefixes cached once per series or metric. Encoding replaces
 * lone UTF-16 surrogates with U+FFFD: they have no UTF-8 form, and one invalid byte makes
 * Prometheus reject the whole scrape.
 */
export function utf8(text: string): Uint8Array {
	return encoder.encode(text)
}

/**
 * Copies `src` to `buf[p..]`, returning the new end. A native `set` is several times faster
 * than a JS loop for prefixes of tens of bytes; its call overhead only loses on short ones.
 */
function copy(buf: Uint8Array, p: number, src: Uint8Array): number {
	const n = src.length
	if (n > 16) buf.set(src, p)
	else for (let i = 0; i < n; i++) buf[p + i] = src[i] as number
	return p + n
}

/** Writes the decimal digits of a non-negative safe integer, returning the new end. */
function digits(buf: Uint8Array, p: number, n: number): number {
	// Most sample values are small counts: no loop, no division for them.
	if (n < 10) {
		buf[p] = 48 + n
		return p + 1
	}
	if (n < 100) {
		const tens = (n / 10) | 0
		buf[p] = 48 + tens
		buf[p + 1] = 48 + (n - tens * 10)
		return p + 2
	}
	let width = 1
	for (let m = n; m >= 10; m = Math.trunc(m / 10)) width++
	const end = p + width
	let at = end
	do {
		const q = Math.trunc(n / 10)
		buf[--at] = 48 + (n - q * 10) // '0' + last digit
		n = q
	} while (n > 0)
	return end
}

/**
 * An append-only UTF-8 buffer that render() writes the exposition into. Rendering tens of
 * thousands of series by string concatenation builds a rope of hundreds of thousands of
 * fragments, and flattening it (which sending the response must do) costs several times the
 * concatenation itself; copying cached prefix bytes into one buffer does not. The buffer is
 * kept between renders, so a steady scrape allocates little besides the final string.
 */
export class ByteWriter {
	private buf: Uint8Array
	private pos = 0

	constructor(initialBytes = 64 * 1024) {
		this.buf = new Uint8Array(initialBytes)
	}

	get length(): number {
		return this.pos
	}

	reset(): void {
		this.pos = 0
	}

	/** Rewinds to an earlier `length`, dropping a partly written family. */
	truncate(length: number): void {
		this.pos = Math.min(length, this.pos)
	}

	/**
	 * One whole sample line, `prefix` `infix` `value` `\n`, with a single capacity check: the
	 * render loops call this once per line, so this is where per-call overhead adds up.
	 */
	line(prefix: Uint8Array, infix: Uint8Array, value: number): void {
		const buf = this.reserve(prefix.length + infix.length + 32)
		let p = copy(buf, this.pos, prefix)
		p = copy(buf, p, infix)
		if (value >= 0 && value <= Number.MAX_SAFE_INTEGER && value === Math.trunc(value)) {
			p = digits(buf, p, value)
			buf[p] = NEWLINE
			this.pos = p + 1
		} else {
			this.pos = p
			this.number(value)
			this.byte(NEWLINE)
		}
	}

	/**
	 * The text-format bucket lines of one histogram series, `prefix` `les[b]` `cumulative` `\n`
	 * for each bucket, with one capacity check for all of them. Returns the total count.
	 */
	buckets(prefix: Uint8Array, les: readonly Uint8Array[], counts: Float64Array): number {
		const slots = les.length
		let total = 0
		for (let b = 0; b < slots; b++) total += counts[b] as number
		if (!(total <= Number.MAX_SAFE_INTEGER)) {
			// Not reachable by counting one at a time, but still written correctly.
			let cumulative = 0
			for (let b = 0; b < slots; b++) this.line(prefix, les[b] as Uint8Array, (cumulative += counts[b] as number))
			return cumulative
		}
		const n = prefix.length
		const buf = this.reserve(slots * (n + 48))
		let p = this.pos
		let cumulative = 0
		for (let b = 0; b < slots; b++) {
			cumulative += counts[b] as number
			if (n > 16) buf.set(prefix, p)
			else for (let i = 0; i < n; i++) buf[p + i] = prefix[i] as number
			p += n
			const le = les[b] as Uint8Array
			for (let i = 0; i < le.length; i++) buf[p + i] = le[i] as number
			p = digits(buf, p + le.length, cumulative)
			buf[p++] = NEWLINE
		}
		this.pos = p
		return cumulative
	}

	bytes(src: Uint8Array): void {
		this.pos = copy(this.reserve(src.length), this.pos, src)
	}

	byte(value: number): void {
		this.reserve(1)[this.pos++] = value
	}

	/** Writes a value as Prometheus parses it; integers without allocating a string. */
	number(n: number): void {
		if (Number.isSafeInteger(n)) {
			const buf = this.reserve(17)
			let p = this.pos
			if (n < 0) {
				buf[p++] = 45 // '-'
				n = -n
			}
			this.pos = digits(buf, p, n)
			return
		}
		const text = formatNumber(n) // always ASCII
		const buf = this.reserve(text.length)
		for (let i = 0; i < text.length; i++) buf[this.pos++] = text.charCodeAt(i)
	}

	/** Writes any string as UTF-8 (lone surrogates become U+FFFD). */
	text(value: string): void {
		const buf = this.reserve(value.length * 3)
		this.pos += encoder.encodeInto(value, buf.subarray(this.pos)).written
	}

	/** The bytes written so far, decoded into one flat string. */
	toString(): string {
		return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos).toString('utf8')
	}

	/** The bytes written so far: a view of this writer's buffer, valid until it writes again. */
	view(): Uint8Array {
		return this.buf.subarray(0, this.pos)
	}

	private reserve(n: number): Uint8Array {
		if (this.pos + n > this.buf.length) {
			const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n))
			grown.set(this.buf.subarray(0, this.pos))
			this.buf = grown
		}
		return this.buf
	}
}
