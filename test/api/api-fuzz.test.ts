/** Fuzzing every route on SQLite: never a 5xx, and a refused request changes nothing (fuzz-suite.ts). */
import { fuzzEveryRoute } from '../fixtures/api/fuzz-suite.ts';
import { sqliteTarget } from '../helpers/api.ts';

fuzzEveryRoute({
  name: 'sqlite',
  make: async () => sqliteTarget(),
  skip: false,
  // The rate limiter counts every call of a rate-limited route, refused or not, but on SQLite its counters are kept in memory.
  unchangedExcept: {},
});
