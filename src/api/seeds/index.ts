import type { Services } from '../../services/services.ts';
import type { Api } from '../types.ts';
import { predictionRoutes } from './seed-000-predictions.ts';
import { analysisRoutes } from './seed-001-analysis.ts';
import { trainingModelRoutes } from './seed-003-models.ts';
import { trainingRoutes } from './seed-003-training.ts';
import { learnRoutes } from './seed-004-learn.ts';

/**
 * The in-house systems' endpoints (../shared/seeds), each a thin adapter over nightshift's own
 * operations, answering with the shapes their documents show. Seed 002 has no endpoints.
 */
export function seedRoutes(app: Api, services: Services): void {
  predictionRoutes(app, services);
  analysisRoutes(app, services);
  trainingRoutes(app, services);
  trainingModelRoutes(app, services);
  learnRoutes(app, services);
}
