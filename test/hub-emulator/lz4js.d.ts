// lz4js ships no types: the one function the emulator uses.
declare module 'lz4js' {
  /** Decodes an LZ4 frame into `dst`; returns the number of bytes written. */
  export function decompressFrame(src: Uint8Array, dst: Uint8Array): number;
  const lz4: { decompressFrame: typeof decompressFrame };
  export default lz4;
}
