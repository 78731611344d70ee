/** The entries `run_tests` writes and then expects back after the crash, shared by both processes. */
export function crashTestEntry(index: number): { key: string; value: string } {
  const id = String(index).padStart(4, '0')
  return { key: `run_tests/${id}`, value: `value ${id} survives a SIGKILL` }
}
