import Redis from 'ioredis';
import { EPOCH_COMPLETE, EPOCH_MARKER } from './idempotency-epoch';

/**
 * One atomic read for a batch of keys: -1 when the epoch marker is not complete (Redis cannot
 * vouch for any of them), else one EXISTS answer per key. KEYS = the records, then the marker.
 */
const PROBE_LUA = `
if redis.call('GET', KEYS[#KEYS]) ~= ARGV[1] then return -1 end
local found = {}
for i = 1, #KEYS - 1 do found[i] = redis.call('EXISTS', KEYS[i]) end
return found`;

const COMMAND = 'idempotencyUnusedProbe';

interface Probe {
  key: string;
  resolve: (unused: boolean) => void;
}

type ProbeCommand = (numKeys: number, ...args: string[]) => Promise<number | number[]>;

/**
 * Answers "does Redis hold no record of this key, and vouch for every used key?" for every key
 * asked within one turn of the event loop with one Lua call. A refusal flood asks it for
 * dozens of requests a turn; one command for all of them is what keeps the refusal close to the
 * cost of the HTTP answer itself. The script reads the marker and the records atomically, so a
 * flush is seen exactly as by a per-key read.
 */
export class UnusedKeyBatch {
  private pending: Probe[] = [];

  constructor(private readonly redis: Redis) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: PROBE_LUA });
  }

  /** Resolves false on any doubt or error: the caller then takes the full path. */
  isUnused(redisKey: string): Promise<boolean> {
    return new Promise((resolve) => {
      // setImmediate, not nextTick: it runs after every request this poll phase read.
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ key: redisKey, resolve });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const probe = (this.redis as unknown as Record<string, ProbeCommand>)[COMMAND];
      const found = await probe.call(
        this.redis,
        batch.length + 1,
        ...batch.map((p) => p.key),
        EPOCH_MARKER,
        EPOCH_COMPLETE,
      );
      batch.forEach((p, i) => p.resolve(Array.isArray(found) && found[i] === 0));
    } catch {
      for (const p of batch) p.resolve(false);
    }
  }
}
