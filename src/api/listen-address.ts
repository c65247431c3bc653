/**
 * The HTTP address `serve` will listen on, held from before the store is opened until the server
 * takes it over: a port in use or a host that is not this machine's fails start-up before anything
 * is started or written, with a message naming the setting to change.
 */
import { createServer } from 'node:net';
import { NsError } from '../errors.ts';

export interface AddressReservation {
  /** Frees the address (idempotent); the HTTP server listens on it right after. */
  release(): Promise<void>;
}

/** Listens on host:port with a bare socket (port 0: checks the host only). */
export async function reserveAddress(host: string, port: number): Promise<AddressReservation> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    throw listenError(host, port, cause);
  }
  let released: Promise<void> | null = null;
  return { release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))) };
}

const HOST_HINT = 'use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own addresses (http.host in the config file sets the same)';

/** Why the HTTP server cannot listen, naming the variable to change (the config file's http.port / http.host set the same). */
export function listenError(host: string, port: number, cause: unknown): NsError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const reason = cause instanceof Error ? cause.message : String(cause);
  switch (code) {
    case 'EADDRINUSE':
      return new NsError(
        'NS_CONFIG_INVALID',
        `NIGHTSHIFT_PORT=${port}: ${address} is already in use by another process; stop it, or set NIGHTSHIFT_PORT (http.port in the config file) to a free port (NIGHTSHIFT_HOST=${host})`,
        { field: 'NIGHTSHIFT_PORT', cause },
      );
    case 'EACCES':
      return new NsError('NS_CONFIG_INVALID', `NIGHTSHIFT_PORT=${port}: this user may not listen on ${address}; ports below 1024 need privileges, use one from 1024 up (e.g. 8080)`, {
        field: 'NIGHTSHIFT_PORT',
        cause,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const what = code === 'EADDRNOTAVAIL' ? 'not an address of this machine' : 'the host name does not resolve';
      return new NsError('NS_CONFIG_INVALID', `NIGHTSHIFT_HOST=${host}: cannot listen on ${address}: ${what} (${reason}); ${HOST_HINT}`, { field: 'NIGHTSHIFT_HOST', cause });
    }
    default:
      return new NsError('NS_CONFIG_INVALID', `NIGHTSHIFT_HOST=${host}, NIGHTSHIFT_PORT=${port}: cannot listen on ${address}: ${reason}`, { field: 'NIGHTSHIFT_PORT', cause });
  }
}
