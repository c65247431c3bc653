/**
 * The engine plus its HTTP server, as one object with start()/stop(): what `nightshift serve` runs
 * and what `createNightshift` gives a library user who wants nightshift's own server.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './api/app.ts';
import { checkAuthBinding } from './config/auth-env.ts';
import { listenError, reserveAddress, type AddressReservation } from './api/listen-address.ts';
import type { DrainState } from './api/routes/health.ts';
import type { Clock } from './clock.ts';
import type { Settings } from './config/types.ts';
import { Engine } from './engine.ts';
import { BackgroundBootstrap } from './models/bootstrap.ts';

export interface ServiceOptions {
  settings: Settings;
  logger?: Logger;
  clock?: Clock;
  /** Serve HTTP (default true). */
  http?: boolean;
  /** The built dashboard served at `/` (default: dist/ui when built; false: none). */
  dashboardDir?: string | false;
}

export class Service {
  #stopped = false;
  /**
   * The super admin API key created on the store's very first start, for `serve` to print once;
   * null on every later start (and with authentication off).
   */
  firstKey: string | null = null;
  readonly #bootstrap = new BackgroundBootstrap();
  /** The HTTP address, held from create() until the server listens on it. */
  readonly #address: AddressReservation | null;

  private constructor(
    readonly engine: Engine,
    readonly app: FastifyInstance | null,
    readonly drain: DrainState,
    address: AddressReservation | null,
  ) {
    this.#address = address;
  }

  /**
   * Takes the HTTP address first: a port in use or a foreign host fails here, before the store is
   * opened (or created), declarations written or demo data generated.
   */
  static async create(options: ServiceOptions): Promise<Service> {
    const { host, port } = options.settings.http;
    // Without authentication only this machine may call: refused before anything is opened.
    if (options.http !== false) checkAuthBinding(options.settings.auth, host);
    const address = options.http === false ? null : await reserveAddress(host, port);
    let engine: Engine | null = null;
    try {
      engine = await Engine.open({ settings: options.settings, ...(options.logger ? { logger: options.logger } : {}), ...(options.clock ? { clock: options.clock } : {}) });
      const drain: DrainState = { draining: false };
      const app = options.http === false ? null : await buildApp({ services: engine, drain, logger: options.logger ?? engine.logger, ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}) });
      const service = new Service(engine, app, drain, address);
      if (app && options.settings.auth.mode === 'on') service.firstKey = (await engine.keys.createFirstKey())?.token ?? null;
      return service;
    } catch (error) {
      await engine?.close(0);
      await address?.release();
      throw error;
    }
  }

  /** Starts scheduler and workers, then listens; resolves with the bound address. */
  async start(): Promise<string | null> {
    // Plugin loading and schema compilation are CPU-bound: finish them before runs hold leases.
    await this.app?.ready();
    this.engine.start();
    // Declared datasets and first trainings: in the background, so /health answers meanwhile.
    this.#bootstrap.start(this.engine);
    if (!this.app) return null;
    const { host, port } = this.engine.settings.http;
    let address: string;
    try {
      await this.#address?.release();
      address = await this.app.listen({ host, port });
    } catch (error) {
      // Nothing may keep running (and firing slots) behind a server that could not listen.
      await this.stop(0);
      throw (error as NodeJS.ErrnoException).code?.startsWith('E') ? listenError(host, port, error) : error;
    }
    this.engine.logger.info({ address }, 'HTTP API listening');
    return address;
  }

  /** Health turns 503, the scheduler stops firing, workers drain, then HTTP and the store close. */
  async stop(graceMs?: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.drain.draining = true;
    await this.#address?.release();
    await this.#bootstrap.stop();
    // Both stop at once: nothing fires or is claimed from here on, even while a tick finishes.
    await this.engine.drain(graceMs ?? this.engine.settings.shutdownGraceMs);
    await this.app?.close();
    await this.engine.close(0);
  }
}
