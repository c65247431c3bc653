/** Fuzzing every route on PostgreSQL (a fresh schema): never a 5xx, and a refused request changes nothing (fuzz-suite.ts). */
import { fuzzEveryRoute } from '../fixtures/api/fuzz-suite.ts';
import { storeTargets } from '../helpers/dialects.ts';

const postgres = (await storeTargets()).find((s) => s.name === 'postgres')!;

fuzzEveryRoute({
  ...postgres,
  name: 'postgres',
  unchangedExcept: {
    // Every call of a rate-limited route counts, refused or not: that is what a limit is. On
    // PostgreSQL the counters are rows shared by the nodes (store/rate-limits.ts).
    rate_limits: 'a rate-limited call is counted whether or not it is refused',
  },
});
