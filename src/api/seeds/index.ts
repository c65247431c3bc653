import type { Engine } from '../../engine.ts';
import type { Api } from '../types.ts';

/**
 * The in-house systems' endpoints (../shared/seeds), each a thin adapter over nightshift's own
 * operations, answering with the shapes their documents show.
 */
export function seedRoutes(app: Api, engine: Engine): void {
  void app;
  void engine;
}
