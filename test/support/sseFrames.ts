/** One frame of a `text/event-stream` body. */
export interface SseFrame {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The frame had a comment line (`:`): a heartbeat when it has nothing else. */
  comment: boolean;
}

/**
 * Splits a `text/event-stream` body, fed chunk by chunk as it arrives, into frames (blank-line
 * separated), calling `onFrame` for each complete one. Shared by the test SSE client and the
 * subscription bench's client processes.
 */
export function sseFrameReader(onFrame: (frame: SseFrame) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    let boundary: number;
    while ((boundary = pending.indexOf('\n\n')) !== -1) {
      const block = pending.slice(0, boundary);
      pending = pending.slice(boundary + 2);
      let event = 'message';
      const data: string[] = [];
      let comment = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = true;
        else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      onFrame({ event, data: data.join('\n'), comment });
    }
  };
}
