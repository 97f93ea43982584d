// Preloaded into the server by the soak (node --expose-gc --require scripts/memory-probe.cjs):
// reports the process's memory to its parent over the IPC channel, without touching the
// service's code. Every SOAK_SAMPLE_MS it sends process.memoryUsage(); every SOAK_GC_EVERY-th
// sample it first runs a full garbage collection, so that sample is the heap still in use
// (what a leak grows), free of the garbage a sawtooth would add. On {cmd: 'snapshot', path}
// it writes a heap snapshot there (for finding what grows) and answers {snapshot: path}.
'use strict';
const v8 = require('v8');

if (process.send && process.channel) {
  // The channel must not keep the server alive on SIGTERM.
  process.channel.unref();
  const every = Math.max(1, Number(process.env.SOAK_GC_EVERY) || 10);
  let n = 0;
  const timer = setInterval(
    () => {
      const afterGc = typeof global.gc === 'function' && ++n % every === 0;
      if (afterGc) global.gc();
      const m = process.memoryUsage();
      process.send({
        memory: {
          at: Date.now(),
          rss: m.rss,
          heapUsed: m.heapUsed,
          heapTotal: m.heapTotal,
          external: m.external,
          afterGc,
        },
      });
    },
    Math.max(200, Number(process.env.SOAK_SAMPLE_MS) || 2000),
  );
  timer.unref();
  process.on('message', (msg) => {
    if (msg && msg.cmd === 'snapshot') process.send({ snapshot: v8.writeHeapSnapshot(msg.path) });
  });
}
