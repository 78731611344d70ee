/** Small formatting helpers shared by the `tinydb inspect` commands. */

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`
}

/** The checksum line every inspect view prints: both values, and whether they agree. */
export function crcVerdict(stored: number | undefined, computed: number | undefined): string {
  if (stored === undefined || computed === undefined) return 'n/a (page cut short)'
  return stored === computed ? `ok (${hex32(stored)})` : `MISMATCH (stored ${hex32(stored)}, computed ${hex32(computed)})`
}

/**
 * Bytes as text for a learner: UTF-8 when it decodes cleanly and prints, else hex; cut to `max`
 * characters with the full length noted, so one huge value cannot flood the terminal.
 */
export function preview(bytes: Uint8Array, max = 32): string {
  let text: string | undefined
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    text = undefined
  }
  const printable = text !== undefined && !/[\u0000-\u001f\u007f]/.test(text)
  const shown = printable ? JSON.stringify(text) : `0x${Buffer.from(bytes).toString('hex')}`
  if (shown.length <= max + 2) return shown
  const cut = printable ? `${JSON.stringify(text!.slice(0, max))}…` : `0x${Buffer.from(bytes.subarray(0, max / 2)).toString('hex')}…`
  return `${cut} (${bytes.length} bytes)`
}

/** The same bytes for `--json`: UTF-8 when valid, else base64, always whole. */
export function bytesJson(bytes: Uint8Array): { utf8: string } | { base64: string } {
  try {
    return { utf8: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') }
  }
}

/** A classic hex dump: offset, 16 bytes in hex, the same bytes as ASCII. Runs of zero lines fold into one `*`. */
export function hexDump(bytes: Uint8Array, baseOffset = 0): string[] {
  const lines: string[] = []
  let folded = false
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16)
    const zero = row.every((byte) => byte === 0)
    const last = offset + 16 >= bytes.length
    if (zero && !last && offset > 0) {
      if (!folded) lines.push('*')
      folded = true
      continue
    }
    folded = false
    const hexes = Array.from(row, (byte) => byte.toString(16).padStart(2, '0'))
    const hexText = `${hexes.slice(0, 8).join(' ')}  ${hexes.slice(8).join(' ')}`.padEnd(48)
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('')
    lines.push(`${(baseOffset + offset).toString(16).padStart(8, '0')}  ${hexText}  |${ascii}|`)
  }
  return lines
}
