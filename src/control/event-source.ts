/**
 * Reads a server-sent event stream (the controller's `/v1/watch`) with fetch: calls `on`
 * for each event and resolves when the stream ends. No EventSource in Node 20, and ours
 * needs request headers (credential, proof), which EventSource cannot send anyway.
 * A refusal or no answer is a `ControllerError` (a `NotLeaderError` from a follower).
 */
import { ControllerError, NotLeaderError } from './errors.js'

export async function watchEvents (url: string, headers: Record<string, string>, signal: AbortSignal, on: (event: string, data: unknown) => void): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal })
  } catch (err) {
    throw new ControllerError(0, 'controller.unreachable', `the controller at ${url} did not answer: ${(err as Error).message}`, { cause: err })
  }
  if (!res.ok || res.body == null) {
    const text = await res.text()
    let e: { rule?: string, message?: string, leader?: string | null } = {}
    try { e = JSON.parse(text) as typeof e } catch {}
    if (e.rule === 'controller.not-leader') throw new NotLeaderError(e.message ?? `the controller at ${url} does not lead`, e.leader ?? undefined)
    throw new ControllerError(res.status, e.rule ?? 'watch.refused', `watch refused: ${res.status} ${e.message ?? text}`)
  }
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    if (buffer.length > 1024 * 1024) throw new Error('an event longer than 1 MiB')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).trim())
      }
      if (data.length === 0) continue
      let parsed: unknown
      try { parsed = JSON.parse(data.join('\n')) } catch { continue }
      on(event, parsed)
    }
  }
}
