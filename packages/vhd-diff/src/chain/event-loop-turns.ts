/**
 * A loop that may run on promise jobs alone (blocking reads, stretches of zeros that need no read, a consumer that
 * calls back at once) would keep the event loop from turning until it ends: no signal handler, timer, abort or
 * other I/O could act. Such loops call the returned function once per step and await what it returns: a promise
 * that lets the event loop in, at least once per `intervalMs`; otherwise undefined, at no cost.
 */
export function eventLoopTurns(intervalMs = 50): () => Promise<void> | undefined {
  let lastTurn = performance.now();
  return () => {
    if (performance.now() - lastTurn < intervalMs) return undefined;
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        lastTurn = performance.now();
        resolve();
      });
    });
  };
}
