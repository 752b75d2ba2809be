import { setFlagsFromString } from 'node:v8';

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff): no function is recompiled by the
 * optimising compiler (TurboFan) later. Called once, first thing in the `portico` process,
 * before anything compiles a WebAssembly module. V8 reads these flags when a module is
 * compiled, so they must be set before undici compiles its HTTP parser (llhttp, WebAssembly),
 * which it does on its first upstream connection.
 *
 * Why: by default V8 recompiles a WebAssembly function with TurboFan once it has run enough
 * ("dynamic tiering", a budget of bytes executed), and for undici's response parser that
 * happens after a gateway's first few upstream responses, at a moment nobody chooses. That one
 * compilation of llhttp's 33 KB state machine holds 29-42 MB of compiler memory on a V8 worker
 * thread for 2-5 s, then returns it: a gateway's RSS jumps by 33-38 MiB once, in the middle of
 * whatever it is doing (the first file upload, say). Measured with
 * `--trace-wasm-compilation-times`; docs/uploads.md, Memory.
 *
 * The cost: Liftoff code parses about 2.5 times slower than TurboFan's. For a response with 270
 * bytes of headers and a 5 KB JSON body that is 5.5-6.2 µs instead of 2.0-2.5 µs; for 1 MiB
 * chunked in 16 KiB chunks, 39-41 µs instead of 21-23 µs (llhttp alone, driven directly, on this
 * project's CI machine). A request through undici cost 160-183 µs of CPU in the same session, so
 * the parser's extra 3.5 µs is about 2% of an upstream call and well under 1% of a request. Every WebAssembly module in the process is
 * affected the same way; Portico's are undici's HTTP parsers (its own and Node's bundled one).
 *
 * Both flags, because dynamic tiering off alone means eager tier-up (every function compiled by
 * TurboFan in the background right after the module), and tier-up off alone still leaves
 * dynamic tiering on in V8 11 (Node 20).
 */
export function disableWasmTierUp(): void {
  setFlagsFromString('--no-wasm-dynamic-tiering');
  setFlagsFromString('--no-wasm-tier-up');
}
