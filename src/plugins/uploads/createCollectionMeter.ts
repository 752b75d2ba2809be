/**
 * Counts the bytes of upload bodies read and calls `collect` each time `everyBytes` more have
 * passed: node:http copies every chunk of a request body into a fresh buffer, dead once
 * forwarded, and nothing else frees those buffers before V8's own young-generation trigger (32 MiB
 * of them). With a collection every `everyBytes`, at most about that much is dead at once
 * (docs/uploads.md, Memory). `everyBytes` 0 never collects.
 *
 * One meter counts all the uploads it is given, so concurrent uploads share one rhythm: the
 * collections follow the bytes, not the requests.
 */
export function createCollectionMeter(everyBytes: number, collect: () => void): (bytes: number) => void {
  if (everyBytes <= 0) return () => {};
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    collect();
  };
}
