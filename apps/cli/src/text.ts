const decoder = new TextDecoder('utf-8', { fatal: false })
const encoder = new TextEncoder()

/** Keys and values are printed as UTF-8; bytes that are not valid UTF-8 print as U+FFFD. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text)
}
