import { RedisModeHysteresis } from './redis-mode';

const SLOW = 1000;
const upMode = () => {
  const mode = new RedisModeHysteresis({ slowPingMs: SLOW });
  mode.connectionReady();
  return mode;
};

describe('RedisModeHysteresis', () => {
  it('starts down and goes up as soon as the connection is ready', () => {
    const mode = new RedisModeHysteresis({ slowPingMs: SLOW });
    expect(mode.isUp).toBe(false);
    expect(mode.connectionReady()).toEqual({ up: true, reason: 'connection ready' });
    expect(mode.isUp).toBe(true);
    expect(mode.connectionReady()).toBeNull(); // no change, nothing to log
  });

  it('stays up through a single slow ping', () => {
    const mode = upMode();
    expect(mode.pinged(3)).toBeNull();
    expect(mode.pinged(1500)).toBeNull();
    expect(mode.pinged(4)).toBeNull();
    expect(mode.isUp).toBe(true);
  });

  it('stays up through two failed pings, and a good one starts the count again', () => {
    const mode = upMode();
    for (let round = 0; round < 5; round++) {
      expect(mode.pinged(null, 'Command timed out')).toBeNull();
      expect(mode.pinged(SLOW + 1)).toBeNull();
      expect(mode.pinged(SLOW)).toBeNull(); // exactly the limit is not slow
    }
    expect(mode.isUp).toBe(true);
  });

  it('goes down after three failed or slow pings in a row, once', () => {
    const mode = upMode();
    expect(mode.pinged(1200)).toBeNull();
    expect(mode.pinged(null, 'Command timed out')).toBeNull();
    expect(mode.pinged(2000)).toEqual({
      up: false,
      reason: '3 pings in a row failed or took over 1000 ms (last: 2000 ms)',
    });
    expect(mode.isUp).toBe(false);
    expect(mode.pinged(null)).toBeNull();
    expect(mode.pinged(null)).toBeNull();
    expect(mode.pinged(null)).toBeNull();
  });

  it('names the last error when the third bad ping failed', () => {
    const mode = upMode();
    mode.pinged(null, 'a');
    mode.pinged(null, 'b');
    expect(mode.pinged(null, 'Command timed out')?.reason).toMatch(/last: Command timed out/);
  });

  it('comes back up after two good pings in a row, not one', () => {
    const mode = upMode();
    for (let i = 0; i < 3; i++) mode.pinged(null);
    expect(mode.isUp).toBe(false);
    expect(mode.pinged(2)).toBeNull();
    expect(mode.pinged(5000)).toBeNull(); // a slow one breaks the run
    expect(mode.pinged(2)).toBeNull();
    expect(mode.pinged(3)).toEqual({ up: true, reason: '2 good pings in a row' });
    expect(mode.isUp).toBe(true);
  });

  it('goes down at once when the connection is lost, whatever the pings said', () => {
    const mode = upMode();
    mode.pinged(1);
    mode.pinged(1);
    expect(mode.connectionLost('connection closed')).toEqual({ up: false, reason: 'connection closed' });
    expect(mode.connectionLost('connect ECONNREFUSED')).toBeNull();
    expect(mode.connectionReady()).toEqual({ up: true, reason: 'connection ready' });
  });

  it('does not carry bad pings from before a reconnect into the new connection', () => {
    const mode = upMode();
    mode.pinged(null);
    mode.pinged(null);
    mode.connectionLost('connection closed');
    mode.connectionReady();
    expect(mode.pinged(null)).toBeNull();
    expect(mode.pinged(null)).toBeNull();
    expect(mode.isUp).toBe(true);
  });

  it('takes a mode set by hand, and the evidence decides again from there', () => {
    const mode = upMode();
    expect(mode.force(false, 'test')).toEqual({ up: false, reason: 'test' });
    expect(mode.pinged(1)).toBeNull();
    expect(mode.pinged(1)).toEqual({ up: true, reason: '2 good pings in a row' });
  });

  it('honours other thresholds', () => {
    const mode = new RedisModeHysteresis({ slowPingMs: 50, downAfterBadPings: 1, upAfterGoodPings: 3 });
    mode.connectionReady();
    expect(mode.pinged(51)?.up).toBe(false);
    mode.pinged(1);
    mode.pinged(1);
    expect(mode.pinged(1)?.up).toBe(true);
  });
});
