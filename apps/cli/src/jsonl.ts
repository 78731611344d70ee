import { CommandFailure } from './failure.js'

/**
 * The JSON Lines format of `dump` and `load`: one object per line, `{"key": B, "value": B}`, where
 * each B is either
 * - a JSON string: the bytes are exactly its UTF-8 encoding (used whenever the bytes are valid UTF-8), or
 * - `{"base64": "…"}`: the bytes, in standard base64 with padding (used otherwise).
 * The two shapes cannot be confused, so every byte string round-trips exactly.
 * JSONL_HELP is that description as `dump --help` and `load --help` print it.
 */
export const JSONL_HELP = `
Format (JSON Lines, one entry per line, in key order):
  {"key": K, "value": V}
where K and V are each a JSON string when the bytes are valid UTF-8 (the bytes are its UTF-8
encoding), else {"base64": "…"} (the bytes in standard padded base64). Example:
  {"key":"user:1","value":"Ada"}
  {"key":{"base64":"/wA="},"value":"binary key"}`

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export type JsonBytes = string | { readonly base64: string }

export function toJsonBytes(bytes: Uint8Array): JsonBytes {
  try {
    // ignoreBOM keeps a leading U+FEFF as text, so it is not silently dropped from the key.
    return strictUtf8.decode(bytes)
  } catch {
    return { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }
  }
}

export function encodeEntry(key: Uint8Array, value: Uint8Array): string {
  return JSON.stringify({ key: toJsonBytes(key), value: toJsonBytes(value) })
}

export interface DecodedEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

/** Parses one line; a malformed line throws a `CommandFailure` naming `lineNumber` (1-based). */
export function decodeEntry(line: string, lineNumber: number): DecodedEntry {
  const fail = (what: string): never => {
    throw new CommandFailure(`error: line ${lineNumber}: ${what}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch (error) {
    return fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('expected an object {"key": …, "value": …}')
  }
  const record = parsed as Record<string, unknown>
  for (const field of Object.keys(record)) {
    if (field !== 'key' && field !== 'value') fail(`unexpected field "${field}" (only "key" and "value")`)
  }
  return { key: fromJsonBytes(record['key'], 'key', fail), value: fromJsonBytes(record['value'], 'value', fail) }
}

function fromJsonBytes(field: unknown, name: string, fail: (what: string) => never): Uint8Array {
  if (typeof field === 'string') {
    // TextEncoder would turn a lone surrogate ("\ud800") into U+FFFD: refuse rather than change the bytes.
    if (LONE_SURROGATE.test(field)) fail(`"${name}" holds a lone surrogate, which is not UTF-8 (use {"base64": …})`)
    return encoder.encode(field)
  }
  if (typeof field === 'object' && field !== null && !Array.isArray(field)) {
    const record = field as Record<string, unknown>
    const keys = Object.keys(record)
    const base64 = record['base64']
    if (keys.length === 1 && typeof base64 === 'string') {
      if (!BASE64.test(base64)) fail(`"${name}".base64 is not standard padded base64`)
      return new Uint8Array(Buffer.from(base64, 'base64'))
    }
  }
  if (field === undefined) return fail(`missing "${name}"`)
  return fail(`"${name}" must be a string (UTF-8) or {"base64": "…"} (bytes)`)
}
