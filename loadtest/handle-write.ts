/**
 * Writes a Buffer to a connected net.Socket through its libuv handle, as Node's own Writable does
 * underneath, but without the stream's per-write bookkeeping (a callback, a process.nextTick and a
 * few objects per write). The request class it needs (Node's internal WriteWrap) is learnt from
 * one ordinary socket.write(); until then, and on any Node whose internals differ, every write
 * goes through socket.write().
 */
import type net from 'node:net';

interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Buffer): number;
}

interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (status: number) => void;
  async: boolean;
  bytes: number;
  buffer: Buffer | null;
  callback: null;
}

type WriteRequestClass = new () => WriteRequest;

interface SocketInternals {
  _handle?: StreamHandle | null;
}

let writeRequestClass: WriteRequestClass | null = null;
let learning = true;

/** An asynchronous write finished; a failed one also fails the socket's read, which counts it. */
function onWriteComplete(): void {}

/** Writes data; true when it went through the handle, false when it used socket.write(). */
export function writeToSocket(socket: net.Socket, data: Buffer): boolean {
  const handle = (socket as unknown as SocketInternals)._handle;
  if (writeRequestClass === null || handle == null || socket.connecting || socket.writableLength !== 0) {
    if (learning && handle != null && !socket.connecting) learnFrom(handle);
    socket.write(data);
    return false;
  }
  const req = new writeRequestClass();
  req.handle = handle;
  req.oncomplete = onWriteComplete;
  req.async = false;
  req.bytes = 0;
  req.buffer = data; // kept alive until an asynchronous write completes
  req.callback = null;
  if (handle.writeBuffer(req, data) !== 0) socket.destroy(); // 'close' counts the failure
  return true;
}

/** Wraps one handle's writeBuffer for the next write, to see the request class Node passes. */
function learnFrom(handle: StreamHandle): void {
  learning = false;
  // Called below with `handle` as `this` (own.call).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const own = handle.writeBuffer;
  handle.writeBuffer = function capture(this: StreamHandle, req: WriteRequest, data: Buffer): number {
    delete (handle as Partial<StreamHandle>).writeBuffer;
    const fields = ['handle', 'oncomplete', 'async', 'bytes', 'buffer', 'callback'];
    if (typeof req?.constructor === 'function' && fields.every((f) => f in req)) {
      writeRequestClass = req.constructor as WriteRequestClass;
    }
    return own.call(this, req, data);
  };
}
