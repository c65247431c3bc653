/**
 * At most this many short-lived CLI processes at once: each costs about half a second of CPU (the build, dist/main.js; twice that through tsx), and
 * starting dozens together on two cores only makes every one of them slow enough to hit its bound.
 */
const MAX_CLI_PROCESSES = 3;
let running = 0;
const slots: Array<() => void> = [];

export async function inSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running < MAX_CLI_PROCESSES) running += 1;
  else await new Promise<void>((resolve) => slots.push(resolve)); // a finishing process hands its slot over
  try {
    return await fn();
  } finally {
    const next = slots.shift();
    if (next) next();
    else running -= 1;
  }
}
