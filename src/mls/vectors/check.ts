import { VectorFileError, VectorMismatchError } from '../errors.js'

/**
 * Small helpers shared by the vector checks: reading fields of the JSON vectors defined in
 * mlswg/mls-implementations test-vectors.md, and comparing computed with expected bytes.
 */

/** One vector case as parsed JSON: fields are read through the checked accessors below. */
export type VectorCase = Record<string, unknown>

function field (o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || !(key in o)) {
    throw new VectorFileError(`vector has no field "${key}"`)
  }
  return (o as Record<string, unknown>)[key]
}

export function obj (o: unknown, key: string): VectorCase {
  const v = field(o, key)
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new VectorFileError(`vector field "${key}" is not an object`)
  }
  return v as VectorCase
}

export function arr (o: unknown, key: string): unknown[] {
  const v = field(o, key)
  if (!Array.isArray(v)) throw new VectorFileError(`vector field "${key}" is not an array`)
  return v
}

export function num (o: unknown, key: string): number {
  const v = field(o, key)
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new VectorFileError(`vector field "${key}" is not an integer`)
  }
  return v
}

export function str (o: unknown, key: string): string {
  const v = field(o, key)
  if (typeof v !== 'string') throw new VectorFileError(`vector field "${key}" is not a string`)
  return v
}

export function hexValue (v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) {
    throw new VectorFileError(`vector field "${what}" is not an even-length hex string`)
  }
  return new Uint8Array(Buffer.from(v, 'hex'))
}

/** A hex field decoded to bytes. */
export function hex (o: unknown, key: string): Uint8Array {
  return hexValue(field(o, key), key)
}

/** A hex field that may be null (optional<T> in the vector format). */
export function optionalHex (o: unknown, key: string): Uint8Array | undefined {
  const v = field(o, key)
  return v === null ? undefined : hexValue(v, key)
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/** Throws VectorMismatchError naming the field unless `got` equals `want` byte for byte. */
export function expectBytes (what: string, got: Uint8Array, want: Uint8Array): void {
  if (got.byteLength !== want.byteLength || toHex(got) !== toHex(want)) {
    throw new VectorMismatchError(`${what}: computed ${toHex(got)}, the vector has ${toHex(want)}`)
  }
}

export function expectTrue (what: string, ok: boolean): void {
  if (!ok) throw new VectorMismatchError(`${what} did not hold`)
}

export function expectEqual<T> (what: string, got: T, want: T): void {
  if (got !== want) throw new VectorMismatchError(`${what}: computed ${String(got)}, the vector has ${String(want)}`)
}
